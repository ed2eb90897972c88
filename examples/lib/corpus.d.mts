// Types for the example generators, so TypeScript tests can import them.
export function random(seed: number): () => number;
export const VOCABULARY: string[];
export function zipfWord(next: () => number, vocabulary?: string[]): string;
export function tweets(count: number, seed?: number): { text: string; user: string }[];
export function logLines(count: number, seed?: number, errorRate?: number): { line: string }[];
export function printNdjson(make: (count: number, seed: number) => unknown[], argv?: string[]): void;
