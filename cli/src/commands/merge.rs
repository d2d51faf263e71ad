//! `undertow merge DIR... --out OUT`: the shards of a sharded run merged into exactly what the
//! single run writes; a refused merge (a missing, duplicated or overlapping shard, shards of
//! different funds, seeds, versions, switches or flags, a corrupt file) is bad input naming
//! the shard directory.

use undertow_engine::{EngineError, ShardSpec};

use crate::args::MergeArgs;
use crate::print;

/// Checks the shards, merges them, writes the outputs, then prints.
pub fn merge(args: &MergeArgs) -> anyhow::Result<()> {
    crate::interrupt::writing_check(&args.out)?;
    undertow_engine::run::check_threads(args.threads)?;
    if let Some(text) = &args.as_shard {
        let spec = ShardSpec::parse(text)
            .map_err(|e| EngineError::BadInput(e.to_string().replace("--shard", "--as-shard")))?;
        let combined =
            undertow_engine::shard::combine(&args.dirs, spec, std::env::args().collect())?;
        let dir = {
            let _writing = crate::interrupt::writing();
            combined.write(&args.out)?
        };
        println!("wrote {}", dir.display());
        return Ok(());
    }
    let stage_reruns = args
        .stage_reruns
        .resolve(undertow_engine::backend::hardware_stage_reruns);
    let merged = undertow_engine::merge(
        &args.dirs,
        args.threads,
        stage_reruns,
        std::env::args().collect(),
    )?;
    let outcome = &merged.outcome;
    outcome.notices.iter().for_each(|n| eprintln!("{n}"));
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    eprintln!("merged {} shard directories", merged.shards.len());
    super::run::print_table(&outcome.fund, &outcome.summary);
    if let Some(a) = &outcome.summary.analysis {
        print::findings(a);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}
