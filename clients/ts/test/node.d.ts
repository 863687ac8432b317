// The few Node.js APIs the round-trip test uses, declared here so that the
// kit compiles with tsc alone (no @types/node package).

declare const process: { argv: string[]; exit(code: number): never };
declare const __dirname: string;
declare function require(id: string): any;

declare class Buffer extends Uint8Array {
  static from(data: string | Uint8Array, encoding?: string): Buffer;
  toString(encoding?: string): string;
}

declare module 'fs' {
  export function readFileSync(path: string, encoding: string): string;
  export function writeFileSync(path: string, data: string): void;
}

declare module 'path' {
  export function join(...parts: string[]): string;
}
