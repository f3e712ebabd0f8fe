//! The `ferrotwin` binary: one process that serves the platform, plus the
//! commands around it (tokens, DTDL tools, demo, RUL models, benchmarks).

mod analytics;
mod bench;
mod cli;
mod cmd;
mod collab;
mod commands;
mod config;
mod delivery;
mod desired;
mod devices;
mod history;
mod logging;
mod mappings;
mod serve;
mod tls;

use clap::Parser;

/// mimalloc: the server allocates many small JSON values per request, and
/// glibc malloc showed up as a sixth of the write path's CPU.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use crate::cli::{
    Cli, Command, DeviceCommand, DtdlCommand, EvalCommand, RulCommand, SimCommand, TokenCommand,
};

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Serve(args) => run_async(serve::run(args, None, None)),
        Command::Demo(args) => run_async(cmd::demo::run(args)),
        Command::Token(TokenCommand::Create(a)) => cmd::token::create(a),
        Command::Token(TokenCommand::List(a)) => cmd::token::list(a),
        Command::Token(TokenCommand::Revoke(a)) => cmd::token::revoke(a),
        Command::Device(DeviceCommand::Create(a)) => cmd::device::create(a),
        Command::Device(DeviceCommand::List(a)) => cmd::device::list(a),
        Command::Device(DeviceCommand::Revoke(a)) => cmd::device::revoke(a),
        Command::Dtdl(DtdlCommand::Validate { paths, format }) => {
            cmd::dtdl::validate(&paths, format == cli::Format::Json)
        }
        Command::Dtdl(DtdlCommand::Conformance { dir, json }) => cmd::dtdl::conformance(&dir, json),
        Command::Bench(b) => run_async(bench::run(b)),
        Command::Eval(EvalCommand::Nab(a)) => cmd::eval::nab(a),
        Command::Sim(SimCommand::Run(a)) => run_async(cmd::sim::run(a)),
        Command::Rul(RulCommand::Train(a)) => cmd::rul::train(a),
        Command::Rul(RulCommand::Predict(a)) => cmd::rul::predict(a),
        #[cfg(feature = "opcua")]
        Command::Opcua(cmd::opcua::OpcUaCommand::Browse(a)) => run_async(cmd::opcua::browse(a)),
    };
    std::process::exit(code);
}

fn run_async(f: impl std::future::Future<Output = anyhow::Result<()>>) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(f) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}
