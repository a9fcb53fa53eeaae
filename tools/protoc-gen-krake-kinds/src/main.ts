import { runNodeJs } from "@bufbuild/protoplugin";
import { kindsPlugin } from "./plugin.js";

runNodeJs(kindsPlugin);
