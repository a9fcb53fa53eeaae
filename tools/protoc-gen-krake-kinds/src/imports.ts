/**
 * The import statements of the generated file. protoplugin's own import
 * symbols would put the imports above the header comment, so the file keeps
 * its own small table: identifiers in order of first use, an alias
 * (`Name$1`) when a name is already taken by a declaration of the file or an
 * earlier import.
 */
const maxLine = 120;

export class Imports {
  readonly #taken: Set<string>;
  readonly #modules = new Map<string, { typeOnly: boolean; names: Map<string, string> }>();

  /** `declared`: the file's own top-level names, which imports must not shadow. */
  constructor(declared: Iterable<string>) {
    this.#taken = new Set(declared);
  }

  /** The identifier under which `name` of module `from` is in scope. */
  use(name: string, from: string, typeOnly = false): string {
    let module = this.#modules.get(from);
    if (!module) {
      module = { typeOnly, names: new Map() };
      this.#modules.set(from, module);
    }
    module.typeOnly &&= typeOnly;
    const known = module.names.get(name);
    if (known !== undefined) return known;
    let local = name;
    for (let i = 1; this.#taken.has(local); i++) local = `${name}$${i}`;
    this.#taken.add(local);
    module.names.set(name, local);
    return local;
  }

  /** One `import` statement per module, in order of first use. */
  statements(): string[] {
    return [...this.#modules].map(([from, { typeOnly, names }]) => {
      const list = [...names].map(([name, local]) => (name === local ? name : `${name} as ${local}`));
      const keyword = `import ${typeOnly ? "type " : ""}`;
      const oneLine = `${keyword}{ ${list.join(", ")} } from ${JSON.stringify(from)};`;
      if (oneLine.length <= maxLine) return oneLine;
      return [`${keyword}{`, ...list.map((n) => `  ${n},`), `} from ${JSON.stringify(from)};`].join("\n");
    });
  }
}
