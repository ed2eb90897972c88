#!/usr/bin/env node
// Prints log-line events as NDJSON, about 10% with ERROR: node examples/grep/generate.mjs --count 1000
import { logLines, printNdjson } from "../lib/corpus.mjs";

printNdjson(logLines);
