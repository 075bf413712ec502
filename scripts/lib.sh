# Shared helpers of demo.sh and with-services.sh: start services in the foreground as children, stop
# them by PID. Sourced, not run.

SERVICE_PIDS=()    # "pid:name:signal:log" in start order

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

register_service() {  # PID NAME SIGNAL LOG
    SERVICE_PIDS+=("$1:$2:$3:$4")
}

# wait_port PORT NAME: until the last started service answers on PORT; fail (with its log) if it died.
wait_port() {
    local entry=${SERVICE_PIDS[-1]} pid log
    pid=${entry%%:*}; log=${entry##*:}
    for _ in $(seq 300); do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$2 exited at start; the end of $log:" >&2; tail -n 20 "$log" >&2; return 1
        fi
        port_in_use "$1" && return 0
        sleep 0.05
    done
    echo "$2 is not listening on port $1 after 15 s; see $log" >&2
    return 1
}

# stopped PID: gone, or a zombie (PID 1 may reap orphans late; kill -0 still succeeds on a zombie)
stopped() {
    local state
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 0
    [ -z "$state" ] || [ "$state" = Z ]
}

# stop_services: newest first, each with its signal, KILL after 10 s.
stop_services() {
    local i entry pid name sig rest
    for ((i = ${#SERVICE_PIDS[@]} - 1; i >= 0; i--)); do
        entry=${SERVICE_PIDS[i]}
        pid=${entry%%:*}; rest=${entry#*:}; name=${rest%%:*}; rest=${rest#*:}; sig=${rest%%:*}
        kill -"$sig" "$pid" 2>/dev/null || continue
        for _ in $(seq 100); do stopped "$pid" && break; sleep 0.1; done
        if ! stopped "$pid"; then
            echo "$name (pid $pid) ignored SIG$sig for 10 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    wait 2>/dev/null
    SERVICE_PIDS=()
}

start_redis() {  # PORT DIR
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$2" \
        > "$2/redis.log" 2>&1 &
    register_service $! redis TERM "$2/redis.log"
    wait_port "$1" redis
}

start_beanstalkd() {  # PORT DIR [BINLOG_DIR]
    local binlog=()
    [ -n "${3:-}" ] && { mkdir -p "$3"; binlog=(-b "$3"); }
    beanstalkd -l 127.0.0.1 -p "$1" "${binlog[@]}" > "$2/beanstalkd.log" 2>&1 &
    register_service $! beanstalkd TERM "$2/beanstalkd.log"
    wait_port "$1" beanstalkd
}
