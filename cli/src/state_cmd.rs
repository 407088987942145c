//! `prose-sec kms init|issue|export` and `prose-sec member import`: the roles' state files.

#[derive(clap::Args)]
pub struct KmsInitArgs {}
#[derive(clap::Args)]
pub struct KmsIssueArgs {}
#[derive(clap::Args)]
pub struct KmsExportArgs {}
#[derive(clap::Args)]
pub struct MemberImportArgs {}

pub fn kms_init(_: KmsInitArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kms init` is not built yet")
}
pub fn kms_issue(_: KmsIssueArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kms issue` is not built yet")
}
pub fn kms_export(_: KmsExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kms export` is not built yet")
}
pub fn member_import(_: MemberImportArgs) -> anyhow::Result<()> {
    anyhow::bail!("`member import` is not built yet")
}
