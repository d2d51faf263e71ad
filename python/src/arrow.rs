//! Records to pyarrow without a copy: each Arrow record batch is exported through the Arrow C
//! data interface (`arrow_array::ffi`) and imported by `pyarrow.RecordBatch._import_from_c`,
//! which takes ownership of the buffers (their release callback drops the Rust side's
//! reference). The columns are the shard records' schema (`engine::shard::records`).

use std::sync::Arc;

use arrow_array::ffi::{to_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Schema};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

fn arrow_err(e: arrow_schema::ArrowError) -> PyErr {
    PyRuntimeError::new_err(format!("Arrow export: {e}"))
}

/// The `pyarrow.Table` of `batches` under `schema`: every buffer handed over, none copied.
pub fn to_pyarrow<'py>(
    py: Python<'py>,
    schema: &Schema,
    batches: &[RecordBatch],
) -> PyResult<Bound<'py, PyAny>> {
    let pa = py.import("pyarrow")?;
    let ffi_schema = Box::new(FFI_ArrowSchema::try_from(schema).map_err(arrow_err)?);
    let py_schema = pa.getattr("Schema")?.call_method1(
        "_import_from_c",
        (&*ffi_schema as *const FFI_ArrowSchema as usize,),
    )?;
    let list = PyList::empty(py);
    let rb = pa.getattr("RecordBatch")?;
    for b in batches {
        let data = StructArray::from(b.clone()).into_data();
        let (array, schema) = to_ffi(&data).map_err(arrow_err)?;
        // pyarrow moves the structs out (their `release` set to null), so dropping the boxes
        // afterwards releases nothing twice.
        let array = Box::new(array);
        let schema = Box::new(schema);
        let batch = rb.call_method1(
            "_import_from_c",
            (
                &*array as *const FFI_ArrowArray as usize,
                &*schema as *const FFI_ArrowSchema as usize,
            ),
        )?;
        list.append(batch)?;
    }
    pa.getattr("Table")?
        .call_method1("from_batches", (list, py_schema))
}

/// `batches` with a `variant` column (the variant's name on every row) in front.
pub fn with_variant(
    schema: &Schema,
    batches: &[RecordBatch],
    variant: &str,
) -> Result<(Arc<Schema>, Vec<RecordBatch>), arrow_schema::ArrowError> {
    let mut fields = vec![Arc::new(Field::new("variant", DataType::Utf8, false))];
    fields.extend(schema.fields().iter().cloned());
    let schema = Arc::new(Schema::new(fields));
    let mut out = Vec::with_capacity(batches.len());
    for b in batches {
        let names: ArrayRef = Arc::new(StringArray::from(vec![variant; b.num_rows()]));
        let mut cols = vec![names];
        cols.extend(b.columns().iter().cloned());
        out.push(RecordBatch::try_new(schema.clone(), cols)?);
    }
    Ok((schema, out))
}

/// Test support for the zero-copy check: `n` records of zeros exported as a table; returns the
/// table, the address of the first batch's `column` data buffer as Rust allocated it, and the
/// seconds taken to build the columns and to export them.
#[pyfunction]
#[pyo3(signature = (n, column = 2))]
pub fn _export_probe(
    py: Python<'_>,
    n: usize,
    column: usize,
) -> PyResult<(Py<PyAny>, usize, f64, f64)> {
    let outputs = vec![undertow_kernel::ScenarioOutput::default(); n];
    let families = vec![0u32; n];
    let start = std::time::Instant::now();
    let (schema, batches) = undertow_engine::shard::records::record_batches(0, &outputs, &families)
        .map_err(arrow_err)?;
    let address = batches
        .first()
        .map(|b| b.column(column).to_data().buffers()[0].as_ptr() as usize)
        .unwrap_or(0);
    let built = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let table = to_pyarrow(py, &schema, &batches)?;
    let exported = start.elapsed().as_secs_f64();
    Ok((table.unbind(), address, built, exported))
}

/// The address of the first batch's `column` data buffer (for the zero-copy test on real runs).
pub fn first_buffer_address(batches: &[RecordBatch], column: usize) -> usize {
    batches
        .first()
        .and_then(|b| b.columns().get(column).map(|c| c.to_data()))
        .map(|d| d.buffers()[0].as_ptr() as usize)
        .unwrap_or(0)
}
