module github.com/traefik-httpcache/bench/tools

go 1.26
