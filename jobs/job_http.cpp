#include "jobs/job_http.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>

#include "core/json_writer.h"

namespace adrg {

namespace {

ApiReply json_reply(unsigned status, std::string body) {
  return ApiReply{status, std::move(body) + "\n", "application/json", {}};
}

ApiReply error_reply(unsigned status, std::string_view message, std::string_view extra = {}) {
  JsonWriter w;
  w.begin_object().field("error", message);
  if (!extra.empty()) w.key("state").value(extra);
  w.end_object();
  return json_reply(status, w.take());
}

unsigned status_of(const Error& error) {
  const std::error_code& code = error.code;
  if (code == std::errc::invalid_argument) return 400;
  if (code == std::errc::permission_denied) return 403;
  if (code == std::errc::no_such_file_or_directory) return 404;
  if (code == std::errc::timed_out) return 408;
  if (code == std::errc::file_exists || code == std::errc::device_or_resource_busy) return 409;
  if (code == std::errc::operation_not_permitted) return 422;
  return 500;
}

ApiReply reply_for(const Error& error) {
  unsigned status = status_of(error);
  std::string message = status == 422 ? "refused: " + error.message : error.describe();
  if (status == 400 || status == 403 || status == 404 || status == 409) message = error.message;
  return error_reply(status, message);
}

std::string object_of(const JobManager& jobs, const JobRecord& job) {
  return job_json(job, jobs.frozen(job.id));
}

// "/jobs/ID/verb" -> {"ID", "verb"}; "/jobs" -> {"", ""}.
std::pair<std::string, std::string> split_path(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  std::string_view rest = path.substr(std::string_view("/jobs").size());
  if (rest.empty()) return {};
  rest.remove_prefix(1);
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {std::string(rest), ""};
  return {std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1))};
}

std::optional<double> number_param(const ApiRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  if (it == request.query.end()) return std::nullopt;
  double value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0) {
    return -1;
  }
  return value;
}

ApiReply method_not_allowed(const ApiRequest& request, const char* allow) {
  ApiReply reply = error_reply(
      405, fmt::format("method {} not allowed on {}; use {}", request.method, request.path, allow));
  reply.headers.emplace_back("Allow", allow);
  return reply;
}

void submit(JobManager& jobs, const ApiRequest& request, const ApiReplyFn& reply) {
  auto submission = parse_job_submission(request.body);
  if (!submission) return reply(reply_for(submission.error()));
  JobCaller caller{request.peer->uid, request.peer->gid, request.peer->pid};
  spdlog::info("http api: job {} submitted by uid {} (pid {})", submission->id, caller.uid,
               caller.pid);
  jobs.submit(std::move(*submission), caller, [&jobs, reply](Result<JobRecord> job) {
    if (!job) return reply(reply_for(job.error()));
    reply(json_reply(201, object_of(jobs, *job)));
  });
}

void logs(JobManager& jobs, const ApiRequest& request, const std::string& id,
          const ApiReplyFn& reply) {
  std::uint64_t offset = 0;
  if (auto it = request.query.find("offset"); it != request.query.end()) {
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), offset);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return reply(
          error_reply(400, "offset: expected a whole number of bytes, got '" + text + "'"));
    }
  }
  // Over the unix socket the kernel says who asks (only root and the job's owner may read the
  // log); a TCP request got here only through the HTTP layer's token check.
  std::optional<JobCaller> caller;
  if (request.via_unix) {
    if (!request.peer) {
      return reply(error_reply(403,
                               "job logs are served only to root and the job's owner, and "
                               "this connection's peer is unknown (no SO_PEERCRED)"));
    }
    caller = JobCaller{request.peer->uid, request.peer->gid, request.peer->pid};
  }
  jobs.read_log(id, caller, offset, kJobLogChunkMax, [reply](Result<JobManager::LogChunk> chunk) {
    if (!chunk) return reply(reply_for(chunk.error()));
    ApiReply out{200, std::move(chunk->data), "text/plain; charset=utf-8", {}};
    out.headers.emplace_back("X-Adrg-Log-Next", std::to_string(chunk->next));
    // Bytes between the requested offset and this body that jobs.max_log_bytes dropped.
    out.headers.emplace_back("X-Adrg-Log-Dropped", std::to_string(chunk->skipped));
    out.headers.emplace_back("X-Adrg-Job-State", std::string(to_string(chunk->state)));
    reply(std::move(out));
  });
}

}  // namespace

void handle_job_request(JobManager& jobs, const ApiRequest& request, const ApiReplyFn& reply) {
  const bool mutation = request.method != "GET";
  if (mutation && !request.peer) {  // HttpApi refuses these over TCP already; belt and braces
    return reply(error_reply(403, "jobs can be started only over the unix socket"));
  }
  auto [id, verb] = split_path(request.path);
  if (id.empty()) {
    if (request.method == "POST") return submit(jobs, request, reply);
    if (request.method != "GET") return reply(method_not_allowed(request, "GET, POST"));
    JsonWriter w;
    w.begin_object().key("jobs").begin_array();
    for (const auto& job : jobs.list()) w.raw(object_of(jobs, job));
    w.end_array().end_object();
    return reply(json_reply(200, w.take()));
  }
  if (verb.empty()) {
    if (request.method == "GET") {
      auto job = jobs.get(id);
      return reply(job ? json_reply(200, object_of(jobs, *job)) : reply_for(job.error()));
    }
    if (request.method != "DELETE") return reply(method_not_allowed(request, "GET, DELETE"));
    JobCaller caller{request.peer->uid, request.peer->gid, request.peer->pid};
    return jobs.remove(id, caller, [reply, id = id](const Status& st) {
      if (!st) return reply(reply_for(st.error()));
      reply(json_reply(200, fmt::format("{{\"removed\":\"{}\"}}", id)));
    });
  }
  if (verb == "kill") {
    if (request.method != "POST") return reply(method_not_allowed(request, "POST"));
    JobCaller caller{request.peer->uid, request.peer->gid, request.peer->pid};
    auto job = jobs.kill(id, caller);
    return reply(job ? json_reply(202, object_of(jobs, *job)) : reply_for(job.error()));
  }
  if (verb == "wait") {
    if (request.method != "GET") return reply(method_not_allowed(request, "GET"));
    double timeout = number_param(request, "timeout").value_or(kJobWaitDefaultSeconds);
    if (timeout < 0 || timeout > kJobWaitMaxSeconds) {
      return reply(error_reply(
          400, fmt::format("timeout: expected seconds from 0 to {:g}", kJobWaitMaxSeconds)));
    }
    return jobs.wait(id, from_seconds(timeout), [&jobs, reply](Result<JobRecord> job) {
      if (job) return reply(json_reply(200, object_of(jobs, *job)));
      if (job.error().code == std::errc::timed_out) {
        return reply(error_reply(408, "still running", job.error().message));
      }
      reply(reply_for(job.error()));
    });
  }
  if (verb == "logs") {
    if (request.method != "GET") return reply(method_not_allowed(request, "GET"));
    return logs(jobs, request, id, reply);
  }
  reply(error_reply(404, "no such endpoint: " + request.path));
}

}  // namespace adrg
