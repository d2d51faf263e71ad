//! Daily position-level market data: reading, calibration and the stress composite (helper
//! "whatif" fills this module and its children).
