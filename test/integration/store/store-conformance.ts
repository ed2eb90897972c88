/**
 * The contract every Store implementation must keep, as one vitest suite. Each implementation's test
 * file calls describeStoreConformance with a factory; nothing here knows how a store keeps its data.
 *
 * The factory must open an empty store that keeps CONFORMANCE_RESULT_HISTORY result frames (and
 * CONFORMANCE_RESULT_HISTORY_ROWS rows over them, and frames without rows among the newest
 * CONFORMANCE_RESULT_RECENT_SEQS seqs) per job
 * (small, so trimming is exercised). When it can also reopen the same data (after a close), the
 * durability tests run too; otherwise they are skipped.
 */
import { afterEach, beforeEach, describe } from "vitest";
import type { Store } from "../../../src/store/types.js";
import { describeBatchLogContract } from "./conformance/batch-log-contract.js";
import { describeCatalogContract } from "./conformance/catalog-contract.js";
import { describeCheckpointStoreContract } from "./conformance/checkpoint-store-contract.js";
import type { ConformanceOptions, ConformanceSubject } from "./conformance/fixtures.js";
import { describeLeaseContract } from "./conformance/lease-contract.js";
import { describeLifecycleContract } from "./conformance/lifecycle-contract.js";
import { describeResultHistoryContract } from "./conformance/result-history-contract.js";
import { describeResultLogContract } from "./conformance/result-log-contract.js";
import { describeStreamLogContract } from "./conformance/stream-log-contract.js";
import { describeStreamDedupeContract } from "./conformance/stream-dedupe-contract.js";
import { describeStreamExtentContract } from "./conformance/stream-extent-contract.js";
import { describeStreamTrimContract } from "./conformance/stream-trim-contract.js";

export { CONFORMANCE_RESULT_HISTORY, CONFORMANCE_RESULT_HISTORY_ROWS, CONFORMANCE_RESULT_RECENT_SEQS } from "./conformance/fixtures.js";

export type { ConformanceOptions } from "./conformance/fixtures.js";

/** What a factory hands the suite: a fresh empty store, how to reopen its data, how to clean up. */
export interface StoreUnderTest {
  readonly store: Store;
  /** Opens a new store on the same data; the suite closes the previous one first. */
  readonly reopen?: () => Promise<Store>;
  /** Removes the data; runs after the suite has closed every store it opened. */
  readonly cleanup: () => Promise<void>;
}

/**
 * Registers the suite. `open` must honour the options it is given (and use the defaults otherwise);
 * it is called once per test, and again when a test asks for another store.
 */
export function describeStoreConformance(name: string, open: (options: ConformanceOptions) => Promise<StoreUnderTest>): void {
  describe(`${name} store conformance`, () => {
    let underTest: StoreUnderTest;
    let current: Store;
    const opened: Store[] = [];
    const others: StoreUnderTest[] = [];

    const subject: ConformanceSubject = {
      get store() {
        return current;
      },
      async reopen(test) {
        const reopen = underTest.reopen;
        if (reopen === undefined) test.skip("this store cannot reopen its data");
        await current.close();
        current = await reopen!();
        opened.push(current);
        return current;
      },
      async openAnother(options) {
        const other = await open(options);
        others.push(other);
        opened.push(other.store);
        return other.store;
      },
    };

    beforeEach(async () => {
      underTest = await open({});
      current = underTest.store;
      opened.push(current);
    });

    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close().catch(() => undefined);
      await underTest.cleanup();
      for (const other of others.splice(0)) await other.cleanup();
    });

    describeStreamLogContract(subject);
    describeStreamDedupeContract(subject);
    describeStreamTrimContract(subject);
    describeStreamExtentContract(subject);
    describeBatchLogContract(subject);
    describeResultLogContract(subject);
    describeResultHistoryContract(subject);
    describeCatalogContract(subject);
    describeCheckpointStoreContract(subject);
    describeLifecycleContract(subject);
    describeLeaseContract(subject);
  });
}
