/**
 * WebSocket-level liveness: a half-open peer (a client that vanished without closing) is otherwise found
 * only by TCP, minutes later, and its socket holds unsent frames until then.
 */
import type { WebSocket } from "ws";

/**
 * Pings `socket` every `intervalMs`; a peer whose pong has not come back by the next ping is dead, and
 * its socket is terminated (so it is dropped between one and two intervals after it stopped answering).
 */
export function watchPeer(socket: WebSocket, intervalMs: number, onDead: () => void = () => undefined): void {
  let answered = true;
  socket.on("pong", () => (answered = true));
  const timer = setInterval(() => {
    if (!answered) {
      clearInterval(timer);
      onDead();
      socket.terminate();
      return;
    }
    answered = false;
    socket.ping();
  }, intervalMs);
  timer.unref();
  socket.once("close", () => clearInterval(timer));
}
