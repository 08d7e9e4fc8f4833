package io.factfleet.system.reliability;

import io.factfleet.deploy.internal.BrokerProcessMain;
import io.factfleet.testkit.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One FactFleet service as its own JVM: its {@code *Main} class, on this JVM's classpath, with a properties file, output
 * appended to {@code <dir>/<name>.log}. Started through {@link BrokerProcessMain}, so a child whose parent dies (a test JVM
 * killed by its runner) exits too instead of holding ports. The faults are the operating system's: {@link #kill()} is
 * SIGKILL, {@link #stop()} SIGTERM (the service's shutdown hook), {@link #pause()} and {@link #resume()} SIGSTOP and SIGCONT.
 */
final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String name;
    private final Class<?> mainClass;
    private final Path dir;
    private final Properties props;
    private final URI health;
    private Process process;
    private int starts;

    ServiceProcess(final String name, final Class<?> mainClass, final Path dir, final Properties props, final URI health) {
        this.name = name;
        this.mainClass = mainClass;
        this.dir = dir;
        this.props = props;
        this.health = health;
    }

    String name() {
        return name;
    }

    /** Starts the JVM (does not wait; {@link #awaitHealthy} does). */
    synchronized ServiceProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is running");
        }
        try {
            Files.createDirectories(dir);
            final Path config = dir.resolve(name + ".properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "FactFleet reliability harness: " + name);
            }
            final Path log4j = dir.resolve("log4j2.xml");
            Files.writeString(log4j, """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Configuration status="WARN">
                      <Appenders><Console name="Out" target="SYSTEM_OUT"><PatternLayout pattern="%d{HH:mm:ss.SSS} %p [%t] %c{1} %m%n"/></Console></Appenders>
                      <Loggers>
                        <Logger name="org.apache.kafka" level="WARN"/>
                        <Logger name="io.factfleet" level="INFO"/>
                        <Root level="WARN"><AppenderRef ref="Out"/></Root>
                      </Loggers>
                    </Configuration>
                    """, StandardCharsets.UTF_8);
            final List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                    "-Dlog4j2.configurationFile=" + log4j.toUri(), "-cp", System.getProperty("java.class.path"),
                    BrokerProcessMain.class.getName(), mainClass.getName(), config.toString()));
            final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()));
            builder.environment().keySet().removeIf(k -> k.startsWith("FACTFLEET_") || k.equals("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
            process = builder.start();
            starts++;
            return this;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /** Waits until the health endpoint answers 200; fails early, with the log's path, if the process exits. */
    void awaitHealthy(final Duration timeout) {
        Await.until(name + " answers 200 on " + health + " (log: " + dir.resolve(name + ".log") + ")", timeout, () -> {
            final Process p = current();
            if (p == null || !p.isAlive()) {
                throw new AssertionError(name + " exited (" + (p == null ? "never started" : "code " + p.exitValue())
                        + "); see " + dir.resolve(name + ".log"));
            }
            return healthy();
        });
    }

    boolean healthy() {
        try {
            return HTTP.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode() == 200;
        } catch (final IOException e) {
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private synchronized Process current() {
        return process;
    }

    /** SIGKILL, and waits until the process is gone. */
    synchronized void kill() {
        if (process == null) {
            return;
        }
        resume(); // a stopped process is killed all the same, but may not be reaped until continued
        process.destroyForcibly();
        waitGone();
    }

    /** SIGTERM (the service's clean shutdown), then SIGKILL after 30 s. */
    synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        resume();
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        waitGone();
    }

    synchronized void pause() {
        signal("STOP");
    }

    synchronized void resume() {
        if (process != null && process.isAlive()) {
            signal("CONT");
        }
    }

    long pid() {
        return current().pid();
    }

    int starts() {
        return starts;
    }

    private void signal(final String signal) {
        signal(current().pid(), signal);
    }

    /** Sends a signal with the system's kill(1): Java's Process API has no SIGSTOP. */
    static void signal(final long pid, final String signal) {
        try {
            final Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void waitGone() {
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
