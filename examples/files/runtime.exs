import Config

config :gatehouse, GatehouseWeb.Endpoint,
  http: [ip: {127, 0, 0, 1}, port: 4100],
  server: true
