#![allow(clippy::expect_used)] // a measurement: a vault that cannot be built is the end of it
//! What sealing identities costs per operation (`cargo bench --bench vault`): a measurement,
//! not a test. Each figure is the median of 7 rounds of 100,000 operations on this machine's
//! one thread; results and the machine in BENCHMARKS.md ("Sealed identities").

use std::hint::black_box;
use std::time::{Duration, Instant};

use mardom::vault::{Field, Vault};

const ROUNDS: usize = 7;
const N: u32 = 100_000;

fn median_per_op(mut run: impl FnMut()) -> Duration {
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..N {
                run();
            }
            started.elapsed() / N
        })
        .collect();
    rounds.sort();
    rounds[ROUNDS / 2]
}

fn main() {
    let keys = vec![("k1".to_owned(), [7u8; 32])];
    let vault = Vault::new(&keys, "k1", &[9u8; 32]).expect("a vault");
    let (name, mobile, national_id, email) = (
        "مریم حسینی",
        "+989123456789",
        "0499370899",
        "maryam.hosseini@example.org",
    );
    let sealed = [
        (Field::Name, vault.seal(Field::Name, name)),
        (Field::Mobile, vault.seal(Field::Mobile, mobile)),
        (
            Field::NationalId,
            vault.seal(Field::NationalId, national_id),
        ),
        (Field::Email, vault.seal(Field::Email, email)),
    ];
    let figures = [
        (
            "submission: seal 4 fields + the mobile's blind index",
            median_per_op(|| {
                black_box(vault.seal(Field::Name, black_box(name)));
                black_box(vault.seal(Field::Mobile, black_box(mobile)));
                black_box(vault.seal(Field::NationalId, black_box(national_id)));
                black_box(vault.seal(Field::Email, black_box(email)));
                black_box(vault.index(Field::Mobile, black_box(mobile)));
            }),
        ),
        (
            "lookup by mobile (my requests, a proof, a code): one blind index",
            median_per_op(|| {
                black_box(vault.index(Field::Mobile, black_box(mobile)));
            }),
        ),
        (
            "staff view or reveal: open 4 fields",
            median_per_op(|| {
                for (field, value) in &sealed {
                    black_box(vault.open(*field, black_box(value)).ok());
                }
            }),
        ),
        (
            "one SMS: open the recipient twice (claim's index, send) + one index",
            median_per_op(|| {
                let to = vault
                    .open(Field::Mobile, black_box(&sealed[1].1))
                    .unwrap_or_default();
                black_box(vault.index(Field::Mobile, &to));
                black_box(vault.open(Field::Mobile, black_box(&sealed[1].1)).ok());
            }),
        ),
    ];
    println!("| operation | per operation (median of {ROUNDS} rounds of {N}) |");
    println!("|---|---|");
    for (what, per_op) in figures {
        println!("| {what} | {:.2} µs |", per_op.as_nanos() as f64 / 1000.0);
    }
    let bytes: usize = sealed.iter().map(|(_, s)| s.len()).sum();
    let plain = name.len() + mobile.len() + national_id.len() + email.len();
    println!(
        "\nstored identity: {bytes} bytes sealed for {plain} bytes of text (+ 43 of blind index)"
    );
}
