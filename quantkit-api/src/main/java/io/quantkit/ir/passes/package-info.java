/** Graph-to-graph rewrites of the IR that keep tensor names stable. */
package io.quantkit.ir.passes;
