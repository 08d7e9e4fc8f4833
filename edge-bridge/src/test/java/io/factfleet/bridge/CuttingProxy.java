package io.factfleet.bridge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of a server that counts the bytes the server sends and, once armed, cuts
 * every connection when that count passes a mark (a link lost mid-download), then forwards normally.
 */
final class CuttingProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final AtomicLong downstreamBytes = new AtomicLong();
    private final AtomicLong cutAt = new AtomicLong(-1);
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile int cuts;
    private volatile boolean refuseAfterCut;
    private volatile boolean refusing;

    CuttingProxy(final int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread accept = new Thread(this::accept, "cutting-proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Cuts the connections once {@code bytes} more have come from the server. */
    void cutAfter(final long bytes) {
        cutAt.set(downstreamBytes.get() + bytes);
    }

    /** Cuts as {@link #cutAfter}, then hangs up on every new connection until {@link #heal()} (the device is gone). */
    void cutAndRefuseAfter(final long bytes) {
        refuseAfterCut = true;
        cutAfter(bytes);
    }

    /** Forwards new connections again. */
    void heal() {
        refusing = false;
        refuseAfterCut = false;
    }

    /** Bytes the server sent through the proxy (headers included). */
    long downstreamBytes() {
        return downstreamBytes.get();
    }

    int cuts() {
        return cuts;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                final Socket client = listener.accept();
                if (refusing) {
                    close(client);
                    continue;
                }
                final Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, false);
                pump(server, client, true);
            } catch (final IOException e) {
                return;
            }
        }
    }

    private void pump(final Socket from, final Socket to, final boolean downstream) {
        final Thread t = new Thread(() -> {
            final byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    if (downstream) {
                        final long mark = cutAt.get();
                        final long total = downstreamBytes.addAndGet(n);
                        if (mark >= 0 && total >= mark && cutAt.compareAndSet(mark, -1)) {
                            cuts++;
                            refusing = refuseAfterCut;
                            final int keep = (int) (n - (total - mark));
                            out.write(buffer, 0, Math.max(0, keep));
                            out.flush();
                            downstreamBytes.addAndGet(-(n - Math.max(0, keep)));
                            closeAll();
                            return;
                        }
                    }
                    out.write(buffer, 0, n);
                }
            } catch (final IOException e) {
                // one side closed
            } finally {
                close(from);
                close(to);
            }
        }, "cutting-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private void closeAll() {
        sockets.forEach(CuttingProxy::close);
        sockets.clear();
    }

    private static void close(final Socket socket) {
        try {
            socket.close();
        } catch (final IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        closeAll();
    }
}
