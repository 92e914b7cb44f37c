// The registry: explicit registration, scheme lookup, and errors that list what exists.
#include <gtest/gtest.h>

#include <algorithm>

#include "cuttle/error.h"
#include "cuttle/registry.h"

namespace cuttle {
namespace {

AdaptorDescriptor fake(const std::string& name, std::vector<std::string> schemes) {
  AdaptorDescriptor d;
  d.name = name;
  d.schemes = std::move(schemes);
  d.properties = {{"x", PropertyType::kInt, "1", "a number"}};
  d.factory = [](const Location&, const Properties&, const Credential&) {
    return std::shared_ptr<Scheduler>();
  };
  return d;
}

TEST(Registry, FindsAdaptorByFullScheme) {
  Registry r;
  r.add(fake("a", {"a", "a+ssh"}));
  EXPECT_EQ(r.for_scheme("a+ssh").name, "a");
}

TEST(Registry, UnknownSchemeListsKnownOnes) {
  Registry r;
  r.add(fake("a", {"a"}));
  try {
    r.for_scheme("b");
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("known: a://"), std::string::npos) << e.what();
  }
}

TEST(Registry, DuplicateNameOrSchemeIsRefused) {
  Registry r;
  r.add(fake("a", {"a"}));
  EXPECT_THROW(r.add(fake("a", {"z"})), InvalidArgument);
  EXPECT_THROW(r.add(fake("b", {"a"})), InvalidArgument);
}

TEST(Registry, CreateValidatesProperties) {
  Registry r;
  r.add(fake("a", {"a"}));
  SchedulerOptions options;
  options.properties = {{"y", "2"}};
  EXPECT_THROW(r.create(Location::parse("a://"), options), InvalidArgument);
}

TEST(Registry, BuiltinAdaptorsRegisterOnceAndIncludeLocal) {
  register_builtin_adaptors();
  register_builtin_adaptors();
  EXPECT_EQ(Registry::global().for_scheme("local").name, "local");
}

}  // namespace
}  // namespace cuttle

namespace cuttle {
namespace {

TEST(Registry, LocationQueryKeysThatNamePropertiesAreProperties) {
  Registry r;
  AdaptorDescriptor d = fake("q", {"q"});
  std::string seen;
  d.factory = [&seen](const Location&, const Properties& p, const Credential&) {
    seen = p.get_string("x");
    return std::shared_ptr<Scheduler>();
  };
  d.query_keys = {"other"};
  r.add(d);
  r.create(Location::parse("q://?x=7&other=1"), {});
  EXPECT_EQ(seen, "7");
  SchedulerOptions explicit_wins;
  explicit_wins.properties = {{"x", "9"}};
  r.create(Location::parse("q://?x=7"), explicit_wins);
  EXPECT_EQ(seen, "9");
  EXPECT_THROW(r.create(Location::parse("q://?x=notanumber"), {}), InvalidArgument);
}

TEST(Registry, UnknownLocationQueryKeyIsRefusedNamingItAndTheValidKeys) {
  Registry r;
  AdaptorDescriptor d = fake("q", {"q"});
  d.query_keys = {"jump"};
  r.add(d);
  try {
    r.create(Location::parse("q://?mdoe=detached"), {});
    FAIL() << "a misspelt query key was accepted";
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("unknown query key 'mdoe'"), std::string::npos) << message;
    EXPECT_NE(message.find("valid keys: jump, x"), std::string::npos) << message;
  }
  EXPECT_NO_THROW(r.create(Location::parse("q://?jump=h"), {}));
}

TEST(Registry, BuiltinAdaptorsRefuseUnknownQueryKeysButSshKeepsJump) {
  register_builtin_adaptors();
  EXPECT_THROW(Registry::global().create(Location::parse("local://?nosuch=1"), {}),
               InvalidArgument);
  EXPECT_THROW(Registry::global().create(Location::parse("local://?mdoe=detached"), {}),
               InvalidArgument);
  for (const char* scheme : {"ssh", "slurm", "torque"}) {
    const auto& keys = Registry::global().for_scheme(scheme).query_keys;
    EXPECT_NE(std::find(keys.begin(), keys.end(), "jump"), keys.end()) << scheme;
  }
}

}  // namespace
}  // namespace cuttle
