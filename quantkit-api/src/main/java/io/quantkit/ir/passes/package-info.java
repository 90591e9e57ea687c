/**
 * Graph-to-graph rewrites of the IR that keep tensor names stable ({@link io.quantkit.ir.passes.BatchNormFolding},
 * {@link io.quantkit.ir.passes.GraphSimplification}),
 * and analyses that backends share ({@link io.quantkit.ir.passes.QuantizedOpGroups}: the quantized
 * operations of a QDQ graph).
 */
package io.quantkit.ir.passes;
