package net.ipop.control.reload;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * Calls {@link Reloader#reload()} on each SIGHUP, through {@code sun.misc.Signal} (module jdk.unsupported, open
 * to every class path). The JDK has no supported API for signals other than the shutdown ones. It is reached
 * reflectively because javac's "internal proprietary API" warning on a direct use cannot be suppressed under
 * {@code -Werror}, and {@code jdk.internal.misc.Signal} would need {@code --add-exports} at compile time, which
 * {@code --release} forbids. The handler runs on the JVM's signal dispatch thread; a signal that arrives during a
 * reload is handled after it.
 */
public final class HangupSignal {
    private HangupSignal() {
    }

    /**
     * Installs the handler for this process.
     *
     * @throws IllegalStateException if this JVM has no {@code sun.misc.Signal} or refuses SIGHUP
     */
    public static void install(Reloader reloader) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance("HUP");
            InvocationHandler calls = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    reloader.reload();
                    yield null;
                }
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> "SIGHUP: reload " + reloader;
                default -> throw new UnsupportedOperationException(method.getName());
            };
            Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[] {handlerClass},
                    calls);
            signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
        } catch (ReflectiveOperationException e) {
            Throwable cause = e instanceof InvocationTargetException t ? t.getCause() : e;
            throw new IllegalStateException("cannot handle SIGHUP in this JVM: " + cause, cause);
        }
    }
}
