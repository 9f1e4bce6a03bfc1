/**
 * What bitswap served to other peers, counted by bitswap itself: @helia/bitswap adds the bytes of
 * every block message it sent to the `helia_bitswap_sent_data_bytes_total` counter of the Helia
 * node's `metrics`. This is a Metrics of libp2p's interface that keeps only that counter (feeding
 * a TransferMeter) and makes every other metric and trace a no-op, so it costs nothing elsewhere.
 */
import type { Metrics } from "@libp2p/interface";
import type { TransferMeter } from "./transfer-meter.js";

const BITSWAP_SENT_BYTES = "helia_bitswap_sent_data_bytes_total";

const noop = () => {};
const noMetric = { update: noop, increment: noop, decrement: noop, reset: noop, observe: noop, timer: () => noop };

export function bitswapMeterMetrics(meter: TransferMeter): Metrics {
  const register = (name: string) =>
    name === BITSWAP_SENT_BYTES ? { ...noMetric, increment: (bytes = 1) => meter.record("out", "bitswap", Number(bytes)) } : noMetric;
  const metrics = {
    trackMultiaddrConnection: noop,
    trackProtocolStream: noop,
    registerMetric: register,
    registerMetricGroup: register,
    registerCounter: register,
    registerCounterGroup: register,
    registerHistogram: register,
    registerHistogramGroup: register,
    registerSummary: register,
    registerSummaryGroup: register,
    createTrace: () => undefined,
    traceFunction: <F>(_name: string, fn: F) => fn,
  };
  return metrics as unknown as Metrics; // the overloads' "calculated" forms are never used here
}
