import pkg from "../package.json" with { type: "json" };

/** The runtime's version, from its package.json. */
export const VERSION: string = pkg.version;
