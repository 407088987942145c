//! `prose-sec`: the command-line tool. Every subcommand lives in its own module; this file only
//! declares the command tree and dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod demo;
mod mikey_cmd;
mod node;
mod serve;
mod state_cmd;

#[derive(Parser)]
#[command(
    name = "prose-sec",
    version,
    about = "Identity-based group media security for ProSe one-to-many calls"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole story on loopback: KMS, Group Manager, members, both call modes.
    Demo(demo::DemoArgs),
    /// Run one role as its own process.
    Node(node::NodeArgs),
    /// MIKEY messages.
    #[command(subcommand)]
    Mikey(mikey_cmd::MikeyCmd),
    /// The KMS: its state file, issuing key sets, and the HTTPS service.
    #[command(subcommand)]
    Kms(KmsCmd),
    /// A member's state file.
    #[command(subcommand)]
    Member(MemberCmd),
}

#[derive(Subcommand)]
enum KmsCmd {
    /// Create a KMS state file (master secrets) in a state directory.
    Init(state_cmd::KmsInitArgs),
    /// Issue key sets for identities and write them as KMS key-provisioning documents.
    Issue(state_cmd::KmsIssueArgs),
    /// Export the KMS certificate (public) as a KMS certificate document.
    Export(state_cmd::KmsExportArgs),
    /// Serve TS 33.180 Annex D provisioning over HTTPS.
    Serve(serve::ServeArgs),
}

#[derive(Subcommand)]
enum MemberCmd {
    /// Import a KMS certificate and key-provisioning document into a member's state file.
    Import(state_cmd::MemberImportArgs),
    /// Fetch key sets from a KMS service over HTTPS into a member's state file.
    Provision(serve::ProvisionArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Node(a) => node::run(a),
        Command::Mikey(c) => mikey_cmd::run(c),
        Command::Kms(KmsCmd::Init(a)) => state_cmd::kms_init(a),
        Command::Kms(KmsCmd::Issue(a)) => state_cmd::kms_issue(a),
        Command::Kms(KmsCmd::Export(a)) => state_cmd::kms_export(a),
        Command::Kms(KmsCmd::Serve(a)) => serve::serve(a),
        Command::Member(MemberCmd::Import(a)) => state_cmd::member_import(a),
        Command::Member(MemberCmd::Provision(a)) => serve::provision(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("prose-sec: {e:#}");
            ExitCode::from(1)
        }
    }
}
