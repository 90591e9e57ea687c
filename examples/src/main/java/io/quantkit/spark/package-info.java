/**
 * quantkit on Apache Spark: evaluation, calibration and sweeps split into shards of the data (and
 * configurations) that run as Spark tasks, with results equal to the single-machine API's.
 *
 * <p>Every piece reuses the single-machine code: a task runs {@link io.quantkit.eval.Evaluation} or
 * {@link io.quantkit.quant.Calibration#statistics} on its shard, and the driver joins the shards with
 * {@link io.quantkit.eval.AccuracyReport#concat} and {@link io.quantkit.quant.TensorStatistics#merge}.
 * Shards are whole batches of the single-machine run, so every backend call sees the same batch.
 *
 * <p>Spark is a provided dependency: these classes need Spark's jars on the class path (a cluster or
 * {@code spark-submit} brings them; the {@code ./quantkit} launcher adds them for {@code --spark}).
 */
package io.quantkit.spark;
