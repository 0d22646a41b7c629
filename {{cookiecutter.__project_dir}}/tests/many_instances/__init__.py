"""Several instances of the service: users whose requests alternate between two instances,
the client's own address behind trusted proxies, and a drain that takes an instance out of
a load balancer before it stops."""
