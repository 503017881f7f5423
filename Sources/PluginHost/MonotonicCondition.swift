#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and a condition variable whose timed waits run on the monotonic clock, so that
/// setting the wall clock neither fires plugin timers early nor holds them back.
///
/// Foundation's `NSCondition` only waits until a `Date` (wall-clock time).
final class MonotonicCondition: @unchecked Sendable {
    // @unchecked: a pthread mutex and condition variable, used as their manual page says.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    #if canImport(Darwin)
    private static let clock = CLOCK_REALTIME  // Darwin's timed waits have no clock choice
    #else
    private static let clock = CLOCK_MONOTONIC
    #endif

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if !canImport(Darwin)
        pthread_condattr_setclock(&attributes, Self.clock)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }

    /// Wakes one waiting thread. Call with the lock held.
    func signal() { pthread_cond_signal(condition) }
    /// Wakes every waiting thread. Call with the lock held.
    func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (the lock held) until signalled, or until `nanoseconds` have passed when given.
    /// Returns false when the time ran out. Wake-ups may be spurious: callers re-check.
    @discardableResult
    func wait(nanoseconds: UInt64? = nil) -> Bool {
        guard let nanoseconds else {
            pthread_cond_wait(condition, mutex)
            return true
        }
        var now = timespec()
        clock_gettime(Self.clock, &now)
        let capped = min(nanoseconds, 86_400 * 1_000_000_000)
        let total = UInt64(now.tv_nsec) + capped % 1_000_000_000
        var until = timespec()
        until.tv_sec = now.tv_sec + Int(capped / 1_000_000_000) + Int(total / 1_000_000_000)
        until.tv_nsec = Int(total % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex, &until) != ETIMEDOUT
    }
}
