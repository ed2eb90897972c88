/**
 * The store as the engine sees it, timed: every call of its logs, catalogue and checkpoint store (and
 * its ping) is observed in tributary_store_operation_seconds{operation}, and a call that fails is
 * counted in tributary_store_errors_total{operation}. `operation` is the part and the method
 * ("streams.append", "checkpoints.save", "ping"): a closed set, the Store interface's.
 */
import type { Metrics } from "../metrics/metrics.js";
import type { Store } from "../store/types.js";

const PARTS = ["streams", "batches", "results", "catalog", "checkpoints", "leases", "members"] as const;

export function timedStore(store: Store, metrics: Metrics): Store {
  const seen = new Set<string>();
  const timed = (operation: string, call: () => unknown): unknown => {
    if (!seen.has(operation)) {
      seen.add(operation);
      metrics.storeErrors.inc({ operation }, 0);
    }
    const end = metrics.storeOperationSeconds.startTimer({ operation });
    const failed = (error: unknown) => {
      end();
      metrics.storeErrors.inc({ operation });
      throw error;
    };
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      return failed(error);
    }
    if (!(result instanceof Promise)) {
      end();
      return result;
    }
    return result.then((value) => {
      end();
      return value;
    }, failed);
  };
  // A method is looked up at each call (a test may replace one after wrapping), and wrapped once.
  const wrap = <T extends object>(part: string, target: T): T => {
    const wrappers = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
    return new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        if (typeof value !== "function" || typeof property !== "string") return value;
        const method = value as (...args: unknown[]) => unknown;
        let wrapper = wrappers.get(method);
        if (!wrapper) wrappers.set(method, (wrapper = (...args: unknown[]) => timed(`${part}.${property}`, () => method.apply(object, args))));
        return wrapper;
      },
    });
  };
  const parts = Object.fromEntries(PARTS.map((part) => [part, wrap(part, store[part])])) as Pick<Store, (typeof PARTS)[number]>;
  return {
    kind: store.kind,
    ...parts,
    ping: () => timed("ping", () => store.ping()) as Promise<void>,
    close: () => store.close(),
  };
}
