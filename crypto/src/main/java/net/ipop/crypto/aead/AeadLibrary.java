package net.ipop.crypto.aead;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;

/**
 * A native library an AEAD implementation calls through FFM: looked up once per JVM in the global arena (it stays
 * loaded), unless {@code -Dipop.aead} names a choice that leaves it out, and the downcall handles of its symbols.
 * A library that cannot be loaded is simply absent: the implementation reports it and the next one is used.
 *
 * <p>Threading: built in static initialisers; immutable afterwards.
 */
final class AeadLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final SymbolLookup lookup;

    private AeadLibrary(SymbolLookup lookup) {
        this.lookup = lookup;
    }

    /**
     * Loads {@code name} ({@code libxyz.so.N}) unless {@code -Dipop.aead} is one of {@code offFor}.
     *
     * @return the library; absent ({@link #loaded()} false) if turned off or not loadable
     */
    @SuppressWarnings("restricted")
    static AeadLibrary load(String name, String... offFor) {
        if (Arrays.asList(offFor).contains(System.getProperty("ipop.aead"))) {
            return new AeadLibrary(null);
        }
        try {
            return new AeadLibrary(SymbolLookup.libraryLookup(name, Arena.global()));
        } catch (IllegalArgumentException e) {
            return new AeadLibrary(null);
        }
    }

    boolean loaded() {
        return lookup != null;
    }

    /** A downcall handle of {@code symbol}, or null if the library is absent or does not export it. */
    @SuppressWarnings("restricted")
    MethodHandle handle(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        if (lookup == null) {
            return null;
        }
        MemorySegment address = lookup.find(symbol).orElse(null);
        return address == null ? null : LINKER.downcallHandle(address, descriptor, options);
    }
}
