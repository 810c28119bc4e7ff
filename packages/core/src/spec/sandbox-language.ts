/**
 * A language guest code can be written in.
 *
 * - `javascript`: ES2023 module-style script; top-level `await` and `return` are allowed.
 * - `typescript`: the same, with type annotations stripped before it runs (no type checking).
 * - `python`: Python 3 source; top-level `await` and `return` are allowed.
 */
export type SandboxLanguage = 'javascript' | 'typescript' | 'python';
