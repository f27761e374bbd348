//! A reverse proxy that speaks configurable-http-proxy's REST API and command line.
//!
//! The hub embeds it in-process (sharing a [`RouteStore`]), and `ganymede proxy` runs it alone,
//! so Python JupyterHub can use it in place of configurable-http-proxy.
//! This crate depends on no hub crate.

#![forbid(unsafe_code)]

mod api;
mod body;
pub mod cli;
pub mod client;
pub mod config;
mod conn;
mod error_page;
mod event_loops;
mod fast;
mod forward;
mod headers;
mod http1;
mod idle;
mod metrics;
pub mod route_table;
mod server;
mod splice;
mod state;
mod store;
pub mod tls;
mod upstream;

pub use cli::ProxyArgs;
pub use client::{ChpClient, ClientError, RouteInfo};
pub use config::ProxyConfig;
pub use metrics::Metrics;
pub use route_table::{Route, RouteError, RouteTable};
pub use server::{Addrs, Proxy, ServeError};
pub use store::RouteStore;
