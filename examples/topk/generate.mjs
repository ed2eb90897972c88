#!/usr/bin/env node
// Prints tweet-like events as NDJSON: node examples/topk/generate.mjs --count 1000 [--seed 7]
import { printNdjson, tweets } from "../lib/corpus.mjs";

printNdjson(tweets);
