//! The retention purge while serving: every `--purge-interval-seconds`, users deleted longer ago than their
//! project's retention are removed for good (`PersonalDataService::purge_all`). Several servers may run it at
//! once; each user is removed by one of them.

use std::time::Duration;

use userbase_core::erasure::ErasedCounts;
use userbase_core::services::PersonalDataService;
use userbase_core::time_util::now_utc;

/// Starts the purge task, unless `interval` is zero; it ends when the returned handle is aborted or dropped
/// with the runtime.
pub fn spawn(service: PersonalDataService, interval: Duration) -> Option<tokio::task::JoinHandle<()>> {
    if interval.is_zero() {
        tracing::info!("retention purge is off (--purge-interval-seconds 0)");
        return None;
    }
    Some(tokio::spawn(async move {
        // The first run waits one interval too: a server start (or many at once) adds no load.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let results = match service.purge_all(now_utc()).await {
                Ok(results) => results,
                Err(e) => {
                    tracing::warn!(error = %e, "retention purge could not list projects; trying again next interval");
                    continue;
                }
            };
            // Counts and project ids only: never anything about the people removed.
            for (project, result) in results {
                match result {
                    Ok(counts) if counts != ErasedCounts::default() => {
                        tracing::info!(project.id = %project, counts = ?counts, "retention purge removed deleted users");
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(project.id = %project, error = %e, "retention purge failed"),
                }
            }
        }
    }))
}
