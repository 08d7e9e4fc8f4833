package io.factfleet.deploy.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;

/**
 * The main class of the local broker's child process: {@code BrokerProcessMain kafka.Kafka server.properties}.
 * It runs the named main class (Kafka's own) after two adjustments a child of the stack needs:
 *
 * <ul>
 *   <li>Ctrl-C in a terminal sends SIGINT to the whole foreground process group, broker included. The
 *       broker must outlive the services (they commit transactions while they stop), so the child ignores
 *       SIGINT; the parent stops it with SIGTERM once the services are down.</li>
 *   <li>If the parent dies without stopping it (kill -9), the broker exits too instead of holding the
 *       data directory's lock and the ports.</li>
 * </ul>
 */
public final class BrokerProcessMain {
    private BrokerProcessMain() {
    }

    public static void main(final String[] args) throws Throwable {
        if (args.length < 1) {
            System.err.println("usage: BrokerProcessMain <main class> [args...]");
            System.exit(2);
        }
        ignoreTerminalInterrupt();
        exitWithParent();
        final Method main = Class.forName(args[0]).getMethod("main", String[].class);
        try {
            main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
        } catch (final InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Installs a SIGINT handler that does nothing. Not {@code SIG_IGN}: Kafka chains its own logging
     * handler to the previous one, and a native handler cannot be invoked from Java. Through reflection
     * because {@code sun.misc.Signal} is not API (it is what Kafka itself uses).
     */
    private static void ignoreTerminalInterrupt() {
        try {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final InvocationHandler ignore = (proxy, method, methodArgs) -> {
                if ("handle".equals(method.getName())) {
                    System.out.println("SIGINT ignored: the FactFleet stack stops this broker after its services");
                    return null;
                }
                return switch (method.getName()) {
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == methodArgs[0];
                    default -> "ignore-SIGINT";
                };
            };
            final Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass}, ignore);
            final Object sigint = signalClass.getConstructor(String.class).newInstance("INT");
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, sigint, handler);
        } catch (final ReflectiveOperationException | RuntimeException e) {
            System.err.println("Cannot ignore SIGINT (" + e + "); Ctrl-C will stop the broker together with the services");
        }
    }

    private static void exitWithParent() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
            System.err.println("The FactFleet stack (pid " + parent.pid() + ") exited without stopping the broker; stopping it now");
            // Runs Kafka's shutdown hook: a clean shutdown, like SIGTERM.
            System.exit(1);
        }));
    }
}
