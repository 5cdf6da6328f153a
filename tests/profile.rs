//! The shipped profiles and examples: every profile resolves through the library (no engine), and
//! every path it names exists.

use std::collections::BTreeMap;
use std::path::Path;

use ds01_build::profile::{self, Base};
use ds01_build::template::{self, Placeholders};

use crate::support::{root, UBU_LTS_COMPUTED_LEAVES, UBU_LTS_SEED_LABELS};

fn load(name: &str) -> profile::Profile {
    profile::load(name, &root()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_shipped_image_profile_loads_and_its_paths_exist() {
    let names = profile::available_profiles(&root().join("profiles"));
    assert_eq!(names, ["hello", "jefferys", "my-app", "r-lang", "ubu-lts"]);
    for name in names.iter().filter(|n| *n != "jefferys") {
        let p = load(name);
        assert_eq!(p.path, Path::new(&format!("profiles/{name}.toml")));
        for path in [&p.context, &p.dockerfile, &p.tag_file] {
            assert!(
                root().join(path).exists(),
                "{name}: {} missing",
                path.display()
            );
        }
        let tag = std::fs::read_to_string(root().join(&p.tag_file)).unwrap();
        assert!(tag.trim().contains('-'), "{name}: TAG {tag:?} has no '-'");
        assert!(p.oci, "{name}");
        assert!(p.build_args.is_empty(), "{name}");
        assert!(p.base.is_some(), "{name}: no base-prefix or base-profile");
    }
}

#[test]
fn jefferys_is_shared_defaults_without_an_image() {
    let e = profile::load("jefferys", &root()).unwrap_err().to_string();
    assert_eq!(
        e,
        "profiles/jefferys.toml: no image set (in it or the profiles it extends: \
         profiles/jefferys.toml): add image = \"owner/name\""
    );
}

#[test]
fn ubu_lts_holds_the_seed_script_inputs() {
    let p = load("ubu-lts");
    assert_eq!(p.image, "jefferys/ubu-lts");
    assert_eq!(p.schema, "io.github.JefferysDockers");
    assert_eq!(p.schema_version, "0.0.1");
    assert_eq!(p.base, Some(Base::Prefix("scratch".into())));
    assert_eq!(p.context, Path::new("examples/chain/ubu-lts"));
    assert_eq!(p.dockerfile, Path::new("examples/chain/ubu-lts/Dockerfile"));
    assert_eq!(p.tag_file, Path::new("examples/chain/ubu-lts/TAG"));
    // The profile sets every seed label the build does not compute; three as templates.
    let templates = [
        ("home", "https://hub.docker.com/r/{owner}/{name}"),
        ("source-home", "https://github.com/JefferysDockers/{name}"),
        ("title", "{name} - Base OS derived from Ubuntu."),
    ];
    let mut want: BTreeMap<&str, &str> = UBU_LTS_SEED_LABELS
        .into_iter()
        .filter(|(leaf, _)| !UBU_LTS_COMPUTED_LEAVES.contains(leaf))
        .collect();
    want.extend(templates);
    assert_eq!(want.len(), 18);
    let got: BTreeMap<&str, &str> = p
        .leaves
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, want);
    assert!(p.extra_labels.is_empty());

    // Expanded as the seed's script computes them for jefferys/ubu-lts:2020.09.03-0.0.1.
    let vars = Placeholders {
        owner: "jefferys".into(),
        name: "ubu-lts".into(),
        tag: "2020.09.03-0.0.1".into(),
        content_version: "2020.09.03".into(),
        source_version: "0.0.1".into(),
    };
    let golden: BTreeMap<&str, &str> = UBU_LTS_SEED_LABELS.into();
    for (leaf, _) in templates {
        assert_eq!(
            template::expand(&p.leaves[leaf], &vars),
            golden[leaf],
            "{leaf}"
        );
    }
}

#[test]
fn the_chain_names_each_parent_profile_and_image() {
    let r = load("r-lang");
    assert_eq!(r.image, "jefferys/r-lang");
    assert_eq!(
        r.base,
        Some(Base::ProfileImage {
            profile: "profiles/ubu-lts.toml".into(),
            image: "jefferys/ubu-lts".into()
        })
    );
    assert_eq!(r.schema, "io.github.JefferysDockers");
    assert_eq!(r.context, Path::new("examples/chain/r-lang"));

    let app = load("my-app");
    assert_eq!(app.image, "jefferys/my-app");
    assert_eq!(
        app.base,
        Some(Base::ProfileImage {
            profile: "profiles/r-lang.toml".into(),
            image: "jefferys/r-lang".into()
        })
    );
    assert_eq!(app.extra_labels["com.example.rating"], "10");
    assert_eq!(app.leaves["vendor"], "UNC - Lineberger");

    // The child Dockerfiles take their parent from an overridable BASE argument.
    for (dir, parent) in [
        ("r-lang", "jefferys/ubu-lts"),
        ("my-app", "jefferys/r-lang"),
    ] {
        let text = std::fs::read_to_string(root().join(format!("examples/chain/{dir}/Dockerfile")))
            .unwrap();
        assert!(
            text.contains(&format!("ARG BASE={parent}:latest\nFROM ${{BASE}}\n")),
            "{dir}"
        );
    }
}

#[test]
fn hello_is_a_scratch_example_with_a_tag() {
    let p = load("hello");
    assert_eq!(p.image, "ds01-build/hello");
    assert_eq!(p.base, Some(Base::Prefix("scratch".into())));
    assert_eq!(p.dockerfile, Path::new("examples/hello/Dockerfile"));
    assert_eq!(p.tag_file, Path::new("examples/hello/TAG"));
    let dockerfile = std::fs::read_to_string(root().join(&p.dockerfile)).unwrap();
    assert!(dockerfile.starts_with("FROM scratch\n"), "{dockerfile}");
    // A path works as well as a name, and gives the same profile.
    let by_path = profile::load("profiles/hello.toml", &root()).unwrap();
    assert_eq!(by_path, p);
}
