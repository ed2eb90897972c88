#!/usr/bin/env node
// Prints labelled messages {id, text, spam} as NDJSON: node examples/spam/generate.mjs --count 1000 [--seed 7]
// Add --unlabelled to leave out `spam`: messages for the job's "inbox" stream, which it scores.
import { printNdjson } from "../lib/corpus.mjs";
import { messages } from "./messages.mjs";

const unlabelled = process.argv.includes("--unlabelled");
printNdjson((count, seed) => messages(count, seed).map(({ id, text, spam }) => (unlabelled ? { id, text } : { id, text, spam })));
