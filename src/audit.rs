//! Operator commands on the stored history: verifying the hash chains, rebuilding projections, and listing
//! the events projections set aside.

use actors::store::{chain, PostgresEventStore};
use anyhow::Context;
use sqlx::PgPool;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

/// `inbox audit verify [--stream S]`: true when every chain is intact. Prints a line per break.
pub async fn verify(pool: &PgPool, stream: Option<&str>) -> anyhow::Result<bool> {
    let report = chain::verify(pool, stream).await?;
    for b in &report.breaks {
        let line = match b {
            chain::ChainBreak::Altered {
                stream_id,
                stream_version,
                global_position,
            } => format!(
                "ALTERED  {stream_id} version {stream_version} (position {global_position}): its hash does not match its content and the previous event"
            ),
            chain::ChainBreak::Missing {
                stream_id,
                expected_version,
                found_version,
            } => format!(
                "MISSING  {stream_id} version {expected_version}: found version {found_version} in its place (an event was removed or moved)"
            ),
            chain::ChainBreak::Truncated {
                stream_id,
                stream_version,
                last_stored_version,
            } => format!(
                "TRUNCATED {stream_id}: the stream is at version {stream_version} but its events stop at {last_stored_version}"
            ),
        };
        println!("{line}");
    }
    println!(
        "{} streams, {} events verified: {}",
        report.streams,
        report.events,
        if report.intact() {
            "all chains intact".to_owned()
        } else {
            format!("{} broken", report.breaks.len())
        }
    );
    println!("heads digest {}", report.heads_digest);
    Ok(report.intact())
}

/// `inbox projections rebuild <name>|--all`.
pub async fn rebuild(pool: &PgPool, names: &[String], all: bool) -> anyhow::Result<()> {
    let projections = if all {
        projections::projection::all()
    } else {
        names
            .iter()
            .map(|n| {
                projections::projection::named(n).with_context(|| {
                    let known: Vec<_> = projections::projection::all()
                        .iter()
                        .map(|p| p.name())
                        .collect();
                    format!("no projection named {n:?} (known: {})", known.join(", "))
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    if projections.is_empty() {
        anyhow::bail!("name a projection or pass --all");
    }
    let store = Arc::new(PostgresEventStore::new(pool.clone()));
    let terminal = std::io::stderr().is_terminal();
    let count = projections.len();
    let started = std::time::Instant::now();
    let mut head = 0;
    for projection in projections {
        let name = projection.name();
        let mut last_print = std::time::Instant::now();
        let done = projections::rebuild::rebuild(pool, store.clone(), projection.as_ref(), |p| {
            if terminal && last_print.elapsed().as_millis() >= 250 {
                last_print = std::time::Instant::now();
                let mut err = std::io::stderr();
                let _ = write!(
                    err,
                    "\r{name}: {} events applied, log position {} of {}, ~{} remaining, {:.0} events/s   ",
                    p.events,
                    p.position,
                    p.head,
                    p.remaining(),
                    p.rate()
                );
                let _ = err.flush();
            }
        })
        .await
        .with_context(|| format!("rebuilding {name}"))?;
        if terminal {
            eprintln!();
        }
        println!(
            "{name}: rebuilt from {} events in {:.1} s ({:.0} events/s), now at position {}",
            done.events,
            done.elapsed.as_secs_f64(),
            done.rate(),
            done.position
        );
        head = head.max(done.position);
    }
    if count > 1 {
        // Each projection reads the log on its own, so the read side as a whole goes through it at this rate.
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "all {count} projections: rebuilt from a log of {head} events in {elapsed:.1} s ({:.0} events/s)",
            head as f64 / elapsed.max(1e-9)
        );
    }
    store.shutdown();
    Ok(())
}

/// `inbox projections quarantine`: one line per event set aside, then a total.
pub async fn quarantine(pool: &PgPool) -> anyhow::Result<()> {
    let set_aside = projections::runner::quarantined(pool).await?;
    for q in &set_aside {
        println!(
            "{}\tposition {}\t{}\t{} v{}\t{}\t{}",
            q.projection,
            q.global_position,
            q.stream_id,
            q.event_type,
            q.schema_version,
            q.quarantined_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            q.error
        );
    }
    println!("{} events set aside", set_aside.len());
    Ok(())
}
