/**
 * Graph-to-graph rewrites of the IR that keep tensor names stable ({@link io.quantkit.ir.passes.BatchNormFolding}),
 * and analyses that backends share ({@link io.quantkit.ir.passes.QuantizedOpGroups}: the quantized
 * operations of a QDQ graph).
 */
package io.quantkit.ir.passes;
