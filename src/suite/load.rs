//! Loading the suite library: the embedded `suites/` folder, then `--suites DIR`, which adds
//! suites and replaces embedded ones with the same `suite.id` (requirements and profiles in
//! DIR extend or replace catalogue rows by id).

use super::Suite;
use super::parse::parse_suite;
use crate::catalogue::Catalogue;
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_suites.rs"));

/// The catalogue and every suite, validated.
#[derive(Debug, Clone)]
pub struct Library {
    pub catalogue: Catalogue,
    pub suites: Vec<Suite>,
}

const REQUIREMENTS: &str = "requirements.toml";
const PROFILES: &str = "profiles.toml";

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Read the `.toml` files of a directory, sorted by name.
fn read_dir(dir: &Path) -> Result<Vec<SourceFile>, Diagnostics> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::file_level(
            dir.display().to_string(),
            format!("cannot read suite folder: {e}"),
        )
    })?;
    let mut paths: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            std::fs::read_to_string(&p)
                .map(|t| SourceFile::new(p.display().to_string(), t))
                .map_err(|e| {
                    Diagnostic::file_level(p.display().to_string(), format!("cannot read: {e}"))
                        .into()
                })
        })
        .collect()
}

impl Library {
    /// Embedded files plus, optionally, a user folder.
    pub fn load(extra_dir: Option<&Path>) -> Result<Library, Diagnostics> {
        let mut files: Vec<SourceFile> = EMBEDDED
            .iter()
            .map(|(n, t)| SourceFile::new(*n, *t))
            .collect();
        let embedded_count = files.len();
        if let Some(dir) = extra_dir {
            files.extend(read_dir(dir)?);
        }
        Library::from_files(files, embedded_count)
    }

    /// Build from files; files after index `overridable` replace earlier suites by id.
    pub fn from_files(files: Vec<SourceFile>, overridable: usize) -> Result<Library, Diagnostics> {
        let mut catalogue = Catalogue::default();
        let mut errors = Vec::new();
        for f in files.iter().filter(|f| file_name(&f.name) == PROFILES) {
            if let Err(e) = catalogue.add_profiles(f) {
                errors.push(e);
            }
        }
        for f in files.iter().filter(|f| file_name(&f.name) == REQUIREMENTS) {
            if let Err(e) = catalogue.add_requirements(f) {
                errors.push(e);
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        catalogue.validate()?;
        let mut suites: Vec<(Suite, bool)> = Vec::new();
        for (i, f) in files.into_iter().enumerate() {
            let name = file_name(&f.name);
            if name == PROFILES || name == REQUIREMENTS {
                continue;
            }
            let user = i >= overridable;
            match parse_suite(f, &catalogue) {
                Ok(s) => match suites.iter().position(|(x, _)| x.id == s.id) {
                    Some(j) if user && !suites[j].1 => suites[j] = (s, true),
                    Some(j) => errors.push(Diagnostic::file_level(
                        s.file.name.clone(),
                        format!(
                            "suite id `{}` is also used by {}",
                            s.id, suites[j].0.file.name
                        ),
                    )),
                    None => suites.push((s, user)),
                },
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        Ok(Library {
            catalogue,
            suites: suites.into_iter().map(|(s, _)| s).collect(),
        })
    }

    pub fn suite(&self, id: &str) -> Option<&Suite> {
        self.suites.iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_library_is_valid() {
        let lib = Library::load(None).unwrap_or_else(|e| panic!("{e}"));
        assert!(!lib.catalogue.profiles.is_empty());
    }

    fn suite(id: &str, title: &str) -> String {
        format!(
            "[suite]\nid = \"{id}\"\ntitle = \"{title}\"\nparty = \"as_a\"\n[[case]]\nid = \"c\"\ntitle = \"t\"\nrequirements = [\"R-1\"]\n[[case.step]]\nid = \"m\"\naction = \"discover\"\nrole = \"as_a\"\n[[case.check]]\nwhat = \"w\"\nvalue = \"m.status\"\nequals = 200\n"
        )
    }

    fn base() -> Vec<SourceFile> {
        vec![
            SourceFile::new(
                "suites/profiles.toml",
                "[[profile]]\nid = \"p\"\ntitle = \"p\"\n",
            ),
            SourceFile::new(
                "suites/requirements.toml",
                "[[requirement]]\nid = \"R-1\"\nsource = \"s\"\nparty = \"AS-A\"\ntesting = \"BB\"\nsummary = \"x\"\nlevels = { p = \"MUST\" }\n",
            ),
            SourceFile::new("suites/a.toml", suite("a", "embedded")),
        ]
    }

    #[test]
    fn user_folder_replaces_a_suite_by_id_and_adds_new_ones() {
        let mut files = base();
        files.push(SourceFile::new("dir/a.toml", suite("a", "mine")));
        files.push(SourceFile::new("dir/b.toml", suite("b", "new")));
        let lib = Library::from_files(files, 3).unwrap();
        assert_eq!(lib.suites.len(), 2);
        assert_eq!(lib.suite("a").unwrap().title, "mine");
        assert_eq!(lib.suite("b").unwrap().title, "new");
    }

    #[test]
    fn duplicate_ids_among_embedded_suites_are_an_error() {
        let mut files = base();
        files.push(SourceFile::new("suites/a2.toml", suite("a", "again")));
        let err = Library::from_files(files, 4).unwrap_err();
        assert!(
            err.to_string()
                .contains("suite id `a` is also used by suites/a.toml"),
            "{err}"
        );
    }
}
