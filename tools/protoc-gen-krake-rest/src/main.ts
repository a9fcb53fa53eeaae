import { runNodeJs } from "@bufbuild/protoplugin";
import { restPlugin } from "./plugin.js";

runNodeJs(restPlugin);
