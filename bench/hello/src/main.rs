//! `bench-hello ADDR`: answers `GET /` with a short JSON body, as cheaply as axum allows.

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let app = axum::Router::new().route("/", axum::routing::get(|| async { r#"{"hello":"world"}"# }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
