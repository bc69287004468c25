// End-to-end: Dify app exports run on a real local cluster, both through
// the real flowgridctl binary (`run FILE.yml`, `import dify`, `validate`,
// `run-node`) and through the C++ SDK after LoadWorkflowOrDifyFile.
#include <sys/wait.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/dify/workflow_loader.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kTriage = e2e::kExamples + "dify_ticket_triage.yml";
const std::string kDifyData = e2e::kSourceDir + "/tests/unit/data/dify/";
constexpr char kOutageTicket[] =
    "ticket=The checkout page is down for every customer. Payments fail.";

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class DifyEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_dir_ = new std::string(e2e::MakeWorkDir("flowgrid-dify-e2e"));
    ASSERT_FALSE(work_dir_->empty());
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster =
        LocalCluster::Start(e2e::ClusterOptions(*work_dir_, 1, 2));
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
    ClientOptions options;
    options.watch_timeout = absl::Seconds(60);
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Connect(cluster_->client_address(), options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = client->release();
  }

  static void TearDownTestSuite() {
    delete client_;
    std::unique_ptr<LocalCluster> cluster(cluster_);
    e2e::StopAndCleanUp(cluster, *work_dir_, !::testing::UnitTest::GetInstance()->Passed(),
                        "dify e2e");
    delete work_dir_;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr);
    ASSERT_NE(client_, nullptr);
  }

  // flowgridctl with `args` (each single-quoted for the shell), bounded by
  // coreutils' timeout; pointed at the suite's cluster unless `offline`.
  static CliResult Flowgridctl(const std::vector<std::string>& args, bool offline = false) {
    static int counter = 0;
    const std::string base = absl::StrCat(*work_dir_, "/cli-", ++counter);
    std::string command = absl::StrCat("timeout 60 '", FLOWGRIDCTL_BIN, "'");
    for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
    if (!offline) absl::StrAppend(&command, " --addr=", cluster_->client_address());
    absl::StrAppend(&command, " >", base, ".out 2>", base, ".err");
    int status = std::system(command.c_str());
    CliResult result;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    result.out = ReadFile(base + ".out").value_or("");
    result.err = ReadFile(base + ".err").value_or("");
    return result;
  }

  static absl::StatusOr<v1::RunFinished> RunFile(const std::string& path, const ValueMap& inputs,
                                                 const ValueMap& system = {}) {
    absl::StatusOr<dify::LoadedWorkflow> loaded = dify::LoadWorkflowOrDifyFile(path);
    if (!loaded.ok()) return loaded.status();
    return client_->Run(
        loaded->workflow, inputs, [](const v1::RunEvent&) {}, [](const std::string&) {},
        /*idempotency_key=*/"", system);
  }

  static std::string* work_dir_;
  static LocalCluster* cluster_;
  static Client* client_;
};

std::string* DifyEndToEndTest::work_dir_ = nullptr;
LocalCluster* DifyEndToEndTest::cluster_ = nullptr;
Client* DifyEndToEndTest::client_ = nullptr;

std::string OutputsJson(const absl::StatusOr<v1::RunFinished>& finished) {
  if (!finished.ok()) return finished.status().ToString();
  return ValueMapToJson(finished->outputs()).value_or("<no JSON>");
}

TEST_F(DifyEndToEndTest, RunOfTheExampleEscalatesAnOutage) {
  CliResult cli = Flowgridctl({"run", kTriage, "--input", kOutageTicket, "--input",
                               "priority=low", "--timeout=60s"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out,
            "route  \"ESCALATE: The checkout page is down for every customer (10 words) "
            "#1:checkout #2:customer #3:down #4:every #5:fail\"\n"
            "words  10\n");
  EXPECT_THAT(cli.err, AllOf(HasSubstr("[1718000000003/1718000000005 #4] succeeded"),
                             HasSubstr("branch \"urgent\""), HasSubstr("finished: SUCCEEDED")));
}

TEST_F(DifyEndToEndTest, RunOfTheExampleQueuesAnOrdinaryTicketWithTheDefaultPriority) {
  CliResult cli = Flowgridctl(
      {"run", kTriage, "--input", "ticket=Please update my invoice address.", "--quiet"});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out,
            "route  \"queue: Please update my invoice address [#1:address #2:invoice "
            "#3:please #4:update]\"\nwords  5\n");
}

TEST_F(DifyEndToEndTest, ImportedJsonValidatesAndRunNodeRunsOneNodeOfTheYaml) {
  const std::string json_path = *work_dir_ + "/triage.json";
  CliResult imported = Flowgridctl({"import", "dify", kTriage, "--out", json_path}, /*offline=*/true);
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.err, HasSubstr("wrote " + json_path + " (8 nodes)"));
  CliResult validated = Flowgridctl({"validate", json_path});
  EXPECT_EQ(validated.exit_code, 0) << validated.err << validated.out;
  EXPECT_THAT(validated.out, HasSubstr("is valid; order: 1718000000001 -> 1718000000002"));
  CliResult node = Flowgridctl({"run-node", kTriage, "1718000000002", "--input",
                                "ticket=Printer on fire. Again."});
  EXPECT_EQ(node.exit_code, 0) << node.err << node.out;
  EXPECT_THAT(node.out, AllOf(HasSubstr("\"Printer on fire\""), HasSubstr("[\"again\",\"fire\"")));
}

TEST_F(DifyEndToEndTest, UnsupportedNodesAreListedAndNothingIsSubmitted) {
  CliResult cli = Flowgridctl({"validate", kDifyData + "unsupported_nodes.yml"});
  EXPECT_EQ(cli.exit_code, 2) << cli.out;
  EXPECT_THAT(cli.err, AllOf(HasSubstr("11 problems importing the Dify app \"Research helper\""),
                             HasSubstr("(\"Rewrite question\", type llm): flowgrid does not run "
                                       "llm nodes"),
                             HasSubstr("type http-request")));
}

TEST_F(DifyEndToEndTest, ChatflowRunsWithEnvironmentSystemVariablesAndGroupedAggregator) {
  ValueMap inputs;
  inputs["order"] = StringValue("apple x2\npear x3");
  inputs["shipping"] = StringValue("standard");
  ValueMap system;
  system["query"] = StringValue("how many?");
  absl::StatusOr<v1::RunFinished> finished =
      RunFile(kDifyData + "chatflow_all_kinds.yml", inputs, system);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->error().message();
  EXPECT_EQ(OutputsJson(finished), R"json({"answer":"Corner Shop: 5 items. (asked: how many?)"})json");
}

TEST_F(DifyEndToEndTest, ContainersAndLegacyFormsRunAsDifyWouldRunThem) {
  ValueMap inputs;
  inputs["text"] = StringValue("a bb ccc");
  inputs["bound"] = IntValue(5);
  absl::StatusOr<v1::RunFinished> containers = RunFile(kDifyData + "containers.yml", inputs);
  ASSERT_TRUE(containers.ok()) << containers.status();
  EXPECT_EQ(containers->status(), v1::RUN_SUCCEEDED) << containers->error().message();
  EXPECT_EQ(OutputsJson(containers), R"({"counter":8,"scores":[1,4,9],"seen":[2,4,8]})");

  ValueMap names;
  names["names"] = StringValue("ann, bob");
  names["shout"] = StringValue("yes");
  absl::StatusOr<v1::RunFinished> legacy = RunFile(kDifyData + "legacy_forms.yml", names);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_EQ(legacy->status(), v1::RUN_SUCCEEDED) << legacy->error().message();
  EXPECT_EQ(OutputsJson(legacy), R"({"greetings":["Hello ANN","Hello BOB"]})");
}

}  // namespace
}  // namespace flowgrid
