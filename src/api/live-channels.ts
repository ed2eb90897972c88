/**
 * The live-results connections a server holds open, so that shutdown can close each one with word of
 * where to resume: a WebSocket with 1001 (going away), an SSE stream with its final close event.
 */
import type { FastifyInstance } from "fastify";

/** WebSocket close code for a server that is going away (RFC 6455). */
export const GOING_AWAY_CLOSE = 1001;

export class LiveChannels {
  private readonly open = new Set<() => void>();
  private closing = false;

  /**
   * Registers how to shut one channel down; returns what removes it again (it closed by itself). A
   * channel added once shutdown has begun is shut down at once.
   */
  add(shutDown: () => void): () => void {
    if (this.closing) {
      shutDown();
      return () => undefined;
    }
    this.open.add(shutDown);
    return () => this.open.delete(shutDown);
  }

  get size(): number {
    return this.open.size;
  }

  /** Shuts every channel down, and any added later. */
  closeAll(): void {
    this.closing = true;
    const channels = [...this.open];
    this.open.clear();
    for (const shutDown of channels) shutDown();
  }
}

/** How long closing WebSockets get to finish the close handshake before they are cut (a dead peer never does). */
const CLOSE_GRACE_MS = 2000;

/**
 * The WebSocket plugin's preClose: every live channel is closed with where to resume; any other socket
 * (one still being set up) gets 1001 too, and whatever has not closed after a grace is terminated.
 */
export function closeLiveConnections(channels: LiveChannels) {
  return async function preClose(this: FastifyInstance): Promise<void> {
    channels.closeAll();
    const sockets = [...this.websocketServer.clients];
    for (const socket of sockets) socket.close(GOING_AWAY_CLOSE, "server shutting down; reconnect to resume");
    setTimeout(() => sockets.forEach((socket) => socket.terminate()), CLOSE_GRACE_MS).unref();
    this.websocketServer.close();
  };
}
