package net.ipop.ffm.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * Marks a test that needs root and real kernel objects (namespaces, TUN, veth). Such tests run in
 * CI like every other test; the tag only lets a developer select or skip them locally.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("privileged")
public @interface Privileged {
}
