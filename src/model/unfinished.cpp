#include "model/unfinished.hpp"

#include "util/uuid.hpp"

namespace gtest_tms::detail {

std::shared_ptr<test_result> unfinished_result(const std::string& suite, const std::string& name, test_status status,
                                               const std::string& text, const unfinished_texts& how) {
  auto r = std::make_shared<test_result>();
  r->id = make_uuid();
  r->suite = suite;
  r->name = name;
  r->status = status;
  r->iteration = how.iteration;
  r->start_ms = how.start_ms;
  failure_part p;
  p.summary = p.message = text;
  p.fatal = status == test_status::failed;
  p.skip = status == test_status::skipped;
  r->parts.push_back(std::move(p));
  return r;
}

}  // namespace gtest_tms::detail
