/** The in-memory store against the store contract (it cannot reopen, so durability tests are skipped). */
import { openMemoryStore } from "../../../src/store/memory/open-memory-store.js";
import { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, CONFORMANCE_RESULT_RECENT_SEQS, describeStoreConformance } from "./store-conformance.js";

describeStoreConformance("memory", async (options) => ({
  store: openMemoryStore({ ...options, resultHistory: CONFORMANCE_RESULT_HISTORY, resultHistoryRows: CONFORMANCE_RESULT_HISTORY_ROWS, resultRecentSeqs: CONFORMANCE_RESULT_RECENT_SEQS }),
  cleanup: async () => undefined,
}));
