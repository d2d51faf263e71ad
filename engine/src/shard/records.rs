//! A shard's records in Arrow IPC (the file format): one file per scenario set, one row per
//! scenario (`index` u64, `family` u32, then every word of [`ScenarioOutput`] as an `f32`
//! column named as in `scenarios.csv`, and `_pad`), and the fan-chart paths the shard owns
//! (`index` u64, `day` u32, three `f64` columns). Floats are stored as the sweep produced them,
//! so that a merge rebuilds the records bit for bit. Reading checks the schema, the row count
//! and the indices, and never panics on a damaged file.

use std::io::Cursor;
use std::ops::Range;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, Float32Array, Float64Array, RecordBatch, UInt32Array, UInt64Array,
};
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use arrow_schema::{ArrowError, DataType, Field, Schema};
use undertow_host::run::TracedPath;
use undertow_kernel::{output_field_names, ScenarioOutput};

/// Words of a [`ScenarioOutput`] in memory (the named fields and the padding word).
const WORDS: usize = std::mem::size_of::<ScenarioOutput>() / 4;

/// Rows per Arrow record batch.
const BATCH_ROWS: usize = 65_536;

/// The records' column names: `index`, `family`, every output field, `_pad`.
pub fn record_columns() -> Vec<String> {
    let mut names = vec!["index".to_string(), "family".to_string()];
    names.extend(output_field_names());
    names.push("_pad".to_string());
    names
}

fn record_schema() -> Schema {
    let fields: Vec<Field> = record_columns()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let t = match i {
                0 => DataType::UInt64,
                1 => DataType::UInt32,
                _ => DataType::Float32,
            };
            Field::new(name, t, false)
        })
        .collect();
    Schema::new(fields)
}

fn path_schema() -> Schema {
    Schema::new(vec![
        Field::new("index", DataType::UInt64, false),
        Field::new("day", DataType::UInt32, false),
        Field::new("nav_per_share", DataType::Float64, false),
        Field::new("cash_ratio", DataType::Float64, false),
        Field::new("cumulative_outflow", DataType::Float64, false),
    ])
}

fn words(o: &ScenarioOutput) -> [f32; WORDS] {
    bytemuck::cast(*o)
}

/// The records of `outputs` (scenario indices from `first`) and their family codes as Arrow
/// record batches of at most 65,536 rows under the records' schema: what a shard's records file
/// holds, and what the Python wheel hands to pyarrow without a copy.
pub fn record_batches(
    first: u64,
    outputs: &[ScenarioOutput],
    families: &[u32],
) -> Result<(Arc<Schema>, Vec<RecordBatch>), ArrowError> {
    if families.len() != outputs.len() {
        return Err(ArrowError::InvalidArgumentError(format!(
            "{} family codes for {} records",
            families.len(),
            outputs.len()
        )));
    }
    let schema = Arc::new(record_schema());
    let mut batches = Vec::new();
    let mut at = 0usize;
    while at < outputs.len() {
        let end = (at + BATCH_ROWS).min(outputs.len());
        let outs = &outputs[at..end];
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(WORDS + 2);
        cols.push(Arc::new(UInt64Array::from_iter_values(
            (at as u64..end as u64).map(|i| first + i),
        )));
        cols.push(Arc::new(UInt32Array::from(families[at..end].to_vec())));
        let rows: Vec<[f32; WORDS]> = outs.iter().map(words).collect();
        for k in 0..WORDS {
            cols.push(Arc::new(Float32Array::from_iter_values(
                rows.iter().map(|r| r[k]),
            )));
        }
        batches.push(RecordBatch::try_new(schema.clone(), cols)?);
        at = end;
    }
    Ok((schema, batches))
}

/// The Arrow IPC file of `outputs` (scenario indices from `first`) and their family codes.
pub fn write_records(
    first: u64,
    outputs: &[ScenarioOutput],
    families: &[u32],
) -> Result<Vec<u8>, ArrowError> {
    let (schema, batches) = record_batches(first, outputs, families)?;
    let mut w = FileWriter::try_new(Vec::new(), &schema)?;
    // An empty shard still writes its schema (and no batch).
    for b in &batches {
        w.write(b)?;
    }
    w.finish()?;
    w.into_inner()
}

/// The Arrow IPC file of traced paths (scenario indices from `first`), one row per day.
pub fn write_paths(first: u64, paths: &[TracedPath]) -> Result<Vec<u8>, ArrowError> {
    let schema = Arc::new(path_schema());
    let mut w = FileWriter::try_new(Vec::new(), &schema)?;
    let (mut index, mut day, mut nav, mut cash, mut out) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, p) in paths.iter().enumerate() {
        let days = p.nav_per_share.len();
        if p.cash_ratio.len() != days || p.cumulative_outflow.len() != days {
            return Err(ArrowError::InvalidArgumentError(format!(
                "path of scenario {}: series of different lengths",
                first + k as u64
            )));
        }
        for d in 0..days {
            index.push(first + k as u64);
            day.push(d as u32);
            nav.push(p.nav_per_share[d]);
            cash.push(p.cash_ratio[d]);
            out.push(p.cumulative_outflow[d]);
        }
    }
    if !index.is_empty() {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(UInt64Array::from(index)),
            Arc::new(UInt32Array::from(day)),
            Arc::new(Float64Array::from(nav)),
            Arc::new(Float64Array::from(cash)),
            Arc::new(Float64Array::from(out)),
        ];
        w.write(&RecordBatch::try_new(schema, cols)?)?;
    }
    w.finish()?;
    w.into_inner()
}

/// Reads every batch of an Arrow IPC file whose schema must be `want`; a panic inside the
/// reader (a damaged file it did not foresee) is an error too.
fn read_batches(bytes: &[u8], want: &Schema) -> Result<Vec<RecordBatch>, String> {
    let read = || -> Result<Vec<RecordBatch>, String> {
        let reader = FileReader::try_new(Cursor::new(bytes), None)
            .map_err(|e| format!("not a readable Arrow IPC file: {e}"))?;
        let got = reader.schema();
        if got.fields().len() != want.fields().len() {
            return Err(format!(
                "{} columns, expected {}",
                got.fields().len(),
                want.fields().len()
            ));
        }
        for (g, w) in got.fields().iter().zip(want.fields()) {
            if g.name() != w.name() || g.data_type() != w.data_type() {
                return Err(format!(
                    "column `{}` ({}) where `{}` ({}) was expected",
                    g.name(),
                    g.data_type(),
                    w.name(),
                    w.data_type()
                ));
            }
        }
        let mut batches = Vec::new();
        for b in reader {
            let b = b.map_err(|e| format!("a damaged record batch: {e}"))?;
            if let Some(c) = b.columns().iter().position(|c| c.null_count() > 0) {
                return Err(format!(
                    "column `{}` has missing values",
                    want.field(c).name()
                ));
            }
            batches.push(b);
        }
        Ok(batches)
    };
    std::panic::catch_unwind(read).unwrap_or_else(|_| Err("the Arrow reader failed on it".into()))
}

fn column<T: 'static>(b: &RecordBatch, i: usize) -> Result<&T, String> {
    b.column(i)
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("column {i} has the wrong type"))
}

/// The records of a records file that must hold scenarios `range`, in order: the outputs and
/// their family codes. Any other content is an error saying what is wrong.
pub fn read_records(
    bytes: &[u8],
    range: Range<u64>,
) -> Result<(Vec<ScenarioOutput>, Vec<u32>), String> {
    let batches = read_batches(bytes, &record_schema())?;
    let n = (range.end - range.start) as usize;
    let mut outputs = Vec::with_capacity(n);
    let mut families = Vec::with_capacity(n);
    let mut next = range.start;
    for b in &batches {
        let index = column::<UInt64Array>(b, 0)?;
        let family = column::<UInt32Array>(b, 1)?;
        let cols: Vec<&Float32Array> = (0..WORDS)
            .map(|k| column::<Float32Array>(b, k + 2))
            .collect::<Result<_, _>>()?;
        for r in 0..b.num_rows() {
            let i = index.value(r);
            if i != next || i >= range.end {
                return Err(format!(
                    "row {} has scenario index {i}, expected {next} (the shard holds {}..{})",
                    next - range.start,
                    range.start,
                    range.end
                ));
            }
            let mut w = [0f32; WORDS];
            for (k, c) in cols.iter().enumerate() {
                w[k] = c.value(r);
            }
            outputs.push(bytemuck::cast::<[f32; WORDS], ScenarioOutput>(w));
            families.push(family.value(r));
            next += 1;
        }
    }
    if next != range.end {
        return Err(format!(
            "{} rows, the shard holds {} scenarios ({}..{})",
            next - range.start,
            n,
            range.start,
            range.end
        ));
    }
    Ok((outputs, families))
}

/// The traced paths of a paths file that must hold scenarios `range` (each with `days` days),
/// in order.
pub fn read_paths(bytes: &[u8], range: Range<u64>, days: usize) -> Result<Vec<TracedPath>, String> {
    let batches = read_batches(bytes, &path_schema())?;
    let mut paths: Vec<TracedPath> = Vec::new();
    let mut expect = (range.start, 0u32);
    let mut rows = 0u64;
    for b in &batches {
        let index = column::<UInt64Array>(b, 0)?;
        let day = column::<UInt32Array>(b, 1)?;
        let nav = column::<Float64Array>(b, 2)?;
        let cash = column::<Float64Array>(b, 3)?;
        let out = column::<Float64Array>(b, 4)?;
        for r in 0..b.num_rows() {
            let (i, d) = (index.value(r), day.value(r));
            if (i, d) != expect || i >= range.end {
                return Err(format!(
                    "row {rows} is scenario {i} day {d}, expected scenario {} day {} (paths of {}..{}, {days} days each)",
                    expect.0, expect.1, range.start, range.end
                ));
            }
            if d == 0 {
                paths.push(TracedPath::default());
            }
            if let Some(p) = paths.last_mut() {
                p.nav_per_share.push(nav.value(r));
                p.cash_ratio.push(cash.value(r));
                p.cumulative_outflow.push(out.value(r));
            }
            expect = if d as usize + 1 >= days {
                (i + 1, 0)
            } else {
                (i, d + 1)
            };
            rows += 1;
        }
    }
    if expect != (range.end, 0) && !(range.is_empty() && expect == (range.start, 0)) {
        return Err(format!(
            "{rows} rows: the paths of {}..{} ({days} days each) are incomplete",
            range.start, range.end
        ));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outputs(n: usize) -> Vec<ScenarioOutput> {
        (0..n)
            .map(|k| {
                let mut w = [0f32; WORDS];
                for (j, x) in w.iter_mut().enumerate() {
                    // Values whose bits matter: subnormals, negative zero, odd fractions.
                    *x = match (k + j) % 4 {
                        0 => f32::from_bits(1 + (k * 7 + j) as u32),
                        1 => -0.0,
                        2 => 1.0 / (k + j + 3) as f32,
                        _ => -1e30 * (j as f32 + 1.0),
                    };
                }
                bytemuck::cast(w)
            })
            .collect()
    }

    fn bits(o: &[ScenarioOutput]) -> Vec<u32> {
        o.iter().flat_map(|x| words(x).map(f32::to_bits)).collect()
    }

    #[test]
    fn records_round_trip_bit_for_bit() {
        let outs = outputs(70_000); // more than one batch
        let fam: Vec<u32> = (0..70_000).map(|k| (k % 12) as u32).collect();
        let bytes = write_records(500, &outs, &fam).unwrap();
        let (back, fam_back) = read_records(&bytes, 500..70_500).unwrap();
        assert_eq!(bits(&back), bits(&outs));
        assert_eq!(fam_back, fam);
        // A wrong range is refused, naming the index.
        let e = read_records(&bytes, 499..70_499).unwrap_err();
        assert!(e.contains("scenario index 500, expected 499"), "{e}");
        let e = read_records(&bytes, 500..70_501).unwrap_err();
        assert!(e.contains("70000 rows"), "{e}");
    }

    #[test]
    fn an_empty_shard_round_trips() {
        let bytes = write_records(10, &[], &[]).unwrap();
        let (back, fam) = read_records(&bytes, 10..10).unwrap();
        assert!(back.is_empty() && fam.is_empty());
        let p = write_paths(10, &[]).unwrap();
        assert!(read_paths(&p, 10..10, 5).unwrap().is_empty());
    }

    #[test]
    fn paths_round_trip_and_bad_lengths_are_refused() {
        let paths: Vec<TracedPath> = (0..3)
            .map(|k| TracedPath {
                nav_per_share: (0..4).map(|d| 1.0 - 0.1 * (k + d) as f64).collect(),
                cash_ratio: (0..4).map(|d| f64::from_bits(3 + d)).collect(),
                cumulative_outflow: (0..4).map(|d| (d * k) as f64 / 7.0).collect(),
            })
            .collect();
        let bytes = write_paths(2, &paths).unwrap();
        assert_eq!(read_paths(&bytes, 2..5, 4).unwrap(), paths);
        assert!(read_paths(&bytes, 2..5, 3).is_err());
        assert!(read_paths(&bytes, 2..6, 4).is_err());
    }

    #[test]
    fn damaged_files_are_refused_without_panicking() {
        let outs = outputs(300);
        let fam = vec![1u32; 300];
        let bytes = write_records(0, &outs, &fam).unwrap();
        for cut in [0, 7, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
            assert!(read_records(&bytes[..cut], 0..300).is_err(), "cut at {cut}");
        }
        // Flipping bytes in the footer or the schema is found; every flip either errs or
        // changes nothing the reader checks (the manifest's hash covers the data buffers).
        let mut found = 0;
        for at in (0..bytes.len()).step_by(97) {
            let mut b = bytes.clone();
            b[at] ^= 0xff;
            if read_records(&b, 0..300).is_err() {
                found += 1;
            }
        }
        assert!(found > 0);
        // The paths schema is not the records schema.
        let p = write_paths(0, &[]).unwrap();
        let e = read_records(&p, 0..0).unwrap_err();
        assert!(e.contains("columns"), "{e}");
    }
}
