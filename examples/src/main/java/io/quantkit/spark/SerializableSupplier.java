package io.quantkit.spark;

import java.io.Serializable;
import java.util.function.Supplier;

/** A supplier Spark can send to executors (a lambda capturing serializable values only). */
@FunctionalInterface
public interface SerializableSupplier<T> extends Supplier<T>, Serializable {}
