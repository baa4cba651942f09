//===- CsvTest.cpp - The CSV reader and its messages ----------------------===//

#include "kiln/Data.h"

#include "TestFiles.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace kiln::testing;
using namespace kiln;

namespace {

//===----------------------------------------------------------------------===//
// CSV files
//===----------------------------------------------------------------------===//

using CsvTest = TempDirTest;

TEST_F(CsvTest, FloatTargetsFromTheEndOfEachRow) {
  writeBytes(path("data.csv"), "1,2,3\n4,5.5,-6e-1\n");
  Result<Dataset> data = loadCsvDataset(path("data.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->features, 2);
  EXPECT_EQ(data->targetFeatures, 1);
  EXPECT_EQ(data->x, (std::vector<float>{1, 2, 4, 5.5f}));
  EXPECT_EQ(data->targets, (std::vector<float>{3, -0.6f}));
  EXPECT_TRUE(data->y.empty());
  EXPECT_EQ(data->source, path("data.csv"));

  CsvOptions two;
  two.targetColumns = 2;
  data = loadCsvDataset(path("data.csv"), two);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 1);
  EXPECT_EQ(data->targetFeatures, 2);
  EXPECT_EQ(data->x, (std::vector<float>{1, 4}));
  EXPECT_EQ(data->targets, (std::vector<float>{2, 3, 5.5f, -0.6f}));
}

TEST_F(CsvTest, ClassLabelsInAnyColumn) {
  // iris.csv of scikit-learn: a header of counts and class names, the
  // label last.
  writeBytes(path("iris.csv"), "150,4,setosa,versicolor,virginica\n"
                               "5.1,3.5,1.4,0.2,0\n"
                               "7.0,3.2,4.7,1.4,1\n"
                               "6.3,3.3,6.0,2.5,2.0\n");
  CsvOptions labels;
  labels.intLabels = true;
  Result<Dataset> data = loadCsvDataset(path("iris.csv"), labels);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 3);
  EXPECT_EQ(data->features, 4);
  EXPECT_EQ(data->targetFeatures, 0);
  EXPECT_EQ(data->y, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_TRUE(data->targets.empty());
  EXPECT_EQ(data->x[4], 7.0f);

  // The label first, features around it kept in order.
  writeBytes(path("first.csv"), "2,10,20\n0,30,40\n");
  labels.labelColumn = 0;
  data = loadCsvDataset(path("first.csv"), labels);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->y, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(data->x, (std::vector<float>{10, 20, 30, 40}));

  // A float target in the middle.
  CsvOptions middle;
  middle.labelColumn = 1;
  data = loadCsvDataset(path("first.csv"), middle);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->targetFeatures, 1);
  EXPECT_EQ(data->targets, (std::vector<float>{10, 30}));
  EXPECT_EQ(data->x, (std::vector<float>{2, 20, 0, 40}));
}

TEST_F(CsvTest, WhitespaceSeparatedWithBlankLinesAndCrlf) {
  // diabetes_data_raw.csv of scikit-learn separates by single spaces; runs of
  // blanks and tabs, CRLF line ends and blank lines are read alike.
  writeBytes(path("raw.csv"), "59 2 32.1 101.0\r\n\r\n  48\t1  21.6 +8.7e1  \r\n\n");
  Result<Dataset> data = loadCsvDataset(path("raw.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->features, 3);
  EXPECT_EQ(data->x, (std::vector<float>{59, 2, 32.1f, 48, 1, 21.6f}));
  EXPECT_EQ(data->targets, (std::vector<float>{101, 87}));
}

TEST_F(CsvTest, HeaderAndExplicitDelimiter) {
  writeBytes(path("semi.csv"), "age;bmi;target\n1;2;3\n4 ; 5 ; 6\n");
  CsvOptions options;
  options.delimiter = ';';
  Result<Dataset> data = loadCsvDataset(path("semi.csv"), options);
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->count, 2);
  EXPECT_EQ(data->x, (std::vector<float>{1, 2, 4, 5}));
  EXPECT_EQ(data->targets, (std::vector<float>{3, 6}));

  // Comma-separated with spaces around cells; the header quoted.
  writeBytes(path("spaced.csv"), "\"a\", \"b\"\n 1 , 2 \n");
  data = loadCsvDataset(path("spaced.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->x, std::vector<float>{1});
  EXPECT_EQ(data->targets, std::vector<float>{2});
}

TEST_F(CsvTest, WrongNumberOfColumns) {
  // A header, 15 good rows (records 0 to 14), and a short row on line 17.
  std::string text = "a,b,c,d,e,f,g,h,i,j,target\n";
  for (int row = 0; row < 15; ++row)
    text += "1,2,3,4,5,6,7,8,9,10,11\n";
  text += "1,2,3,4,5,6,7,8,9,10\n";
  writeBytes(path("data.csv"), text);
  Result<Dataset> data = loadCsvDataset(path("data.csv"));
  ASSERT_FALSE(data);
  EXPECT_EQ(data.error(), path("data.csv") + ": record 15 (line 17): expected 11 columns, got 10");

  // Blank lines count; a long row is wrong too.
  writeBytes(path("long.csv"), "1 2\n\n3 4 5\n");
  EXPECT_EQ(loadCsvDataset(path("long.csv")).error(),
            path("long.csv") + ": record 1 (line 3): expected 2 columns, got 3");
}

TEST_F(CsvTest, BadCells) {
  writeBytes(path("data.csv"), "x,y,t\n1,2,3\n4,abc,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ": record 1 (line 3): column 2: expected a number, got 'abc'");
  // A header is only ever the first line.
  writeBytes(path("data.csv"), "1,2,3\nx,y,t\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ": record 1 (line 2): column 1: expected a number, got 'x'");
  writeBytes(path("data.csv"), "1,2,3\n1,2,\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ": record 1 (line 2): column 3: expected a number, got ''");
  writeBytes(path("data.csv"), "1,2,3\n4,nan,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") +
                ": record 1 (line 2): column 2: expected a finite number, got 'nan'");
  writeBytes(path("data.csv"), "1,2,3\n4,1e999,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ": record 1 (line 2): column 2: expected a number, got '1e999'");
}

// Cells quoted as RFC 4180 has them: a comma or a line break inside quotes,
// a doubled quote, blanks around the quotes; the header names may be quoted
// too. Records keep their lines for messages.
TEST_F(CsvTest, QuotedCells) {
  writeBytes(path("data.csv"), "\"a, first\",\"b \"\"2nd\"\"\",\"tar\nget\"\n"
                               "\"1\", 2 ,3\n  \"4.5\"  ,\"-6\",\"7\"\n");
  Result<Dataset> data = loadCsvDataset(path("data.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->x, (std::vector<float>{1, 2, 4.5f, -6}));
  EXPECT_EQ(data->targets, (std::vector<float>{3, 7}));
  EXPECT_EQ(data->recordLines, (std::vector<int64_t>{3, 4}));
  // The delimiter is found in the first record, not its first line.
  writeBytes(path("split.csv"), "\n\"a\nb\",c,t\n1,2,3\n");
  data = loadCsvDataset(path("split.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->x, (std::vector<float>{1, 2}));
  EXPECT_EQ(data->recordLines, std::vector<int64_t>{4});

  writeBytes(path("open.csv"), "1,2,3\n4,\"5,6\n7,8,9\n");
  EXPECT_EQ(loadCsvDataset(path("open.csv")).error(),
            path("open.csv") +
                ": record 1 (line 2): a quoted cell opened on line 2 is never closed");
  writeBytes(path("after.csv"), "1,2,3\n4,\"5\"x,6\n");
  EXPECT_EQ(loadCsvDataset(path("after.csv")).error(),
            path("after.csv") + ": record 1 (line 2): text after the closing quote of column 2: "
                                "'x,6'");
  // A quoted cell is text, and a number only when its text is one.
  writeBytes(path("text.csv"), "1,2,3\n4,\"five\",6\n");
  EXPECT_EQ(loadCsvDataset(path("text.csv")).error(),
            path("text.csv") + ": record 1 (line 2): column 2: expected a number, got 'five'");
}

// A gzipped CSV file reads as the plain one does, whatever its name.
TEST_F(CsvTest, GzippedFile) {
  writeBytes(path("data.csv"), "x,y,t\n1,2,3\n4,5,6\n");
  ASSERT_EQ(std::system(("gzip -c " + path("data.csv") + " > " + path("data.csv.gz")).c_str()), 0);
  Result<Dataset> plain = loadCsvDataset(path("data.csv"));
  Result<Dataset> packed = loadCsvDataset(path("data.csv.gz"));
  ASSERT_TRUE(packed) << packed.error();
  EXPECT_EQ(packed->x, plain->x);
  EXPECT_EQ(packed->targets, plain->targets);
}

// Bytes that would drive a terminal are shown escaped, and a long cell is cut.
TEST_F(CsvTest, MessagesEscapeControlBytes) {
  writeBytes(path("data.csv"), "1,2,3\n4,\x1b]0;owned\x07\xff\\,6\n");
  EXPECT_EQ(loadCsvDataset(path("data.csv")).error(),
            path("data.csv") + ": record 1 (line 2): column 2: expected a number, got "
                               "'\\x1b]0;owned\\x07\\xff\\\\'");
  writeBytes(path("long.csv"), "1,2,3\n4," + std::string(100, 'z') + ",6\n");
  EXPECT_EQ(loadCsvDataset(path("long.csv")).error(),
            path("long.csv") + ": record 1 (line 2): column 2: expected a number, got '" +
                std::string(64, 'z') + "...'");
}

TEST_F(CsvTest, BadClassLabels) {
  CsvOptions labels;
  labels.intLabels = true;
  for (const char *label : {"2.5", "-1", "3e10"}) {
    writeBytes(path("data.csv"), std::string("1,2,0\n3,4,") + label + "\n");
    EXPECT_EQ(loadCsvDataset(path("data.csv"), labels).error(),
              path("data.csv") +
                  ": record 1 (line 2): column 3: a class label must be a non-negative integer, "
                  "got '" +
                  label + "'");
  }
}

TEST_F(CsvTest, EmptyFilesAndBadOptions) {
  writeBytes(path("empty.csv"), "");
  EXPECT_EQ(loadCsvDataset(path("empty.csv")).error(), path("empty.csv") + ": empty file");
  writeBytes(path("blank.csv"), "\n  \r\n\t\n");
  EXPECT_EQ(loadCsvDataset(path("blank.csv")).error(), path("blank.csv") + ": empty file");
  writeBytes(path("header.csv"), "age,bmi,target\n\n");
  EXPECT_EQ(loadCsvDataset(path("header.csv")).error(),
            path("header.csv") + ": no samples after the header line");
  EXPECT_EQ(loadCsvDataset(path("missing.csv")).error(),
            path("missing.csv") + ": cannot open: No such file or directory");

  writeBytes(path("data.csv"), "h1,h2,h3\n1,2,3\n");
  CsvOptions options;
  options.targetColumns = 3;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") +
                ": record 0 (line 2): rows of 3 columns leave no features after 3 target columns");
  options.targetColumns = -1;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ": target columns must be at least 0, got -1");
  // No target columns: features only, as predict reads them.
  options.targetColumns = 0;
  Result<Dataset> features = loadCsvDataset(path("data.csv"), options);
  ASSERT_TRUE(features) << features.error();
  EXPECT_EQ(features->features, 3);
  EXPECT_EQ(features->targetFeatures, 0);
  EXPECT_EQ(features->x, (std::vector<float>{1, 2, 3}));
  options.targetColumns = 2;
  options.intLabels = true;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") + ": class labels need exactly one target column, got 2");
  options = {};
  options.labelColumn = 3;
  EXPECT_EQ(loadCsvDataset(path("data.csv"), options).error(),
            path("data.csv") +
                ": record 0 (line 2): label column 3 (counted from 0) does not exist in rows of 3 "
                "columns");
}

TEST_F(CsvTest, ReadsTheDiabetesFileOfTheFetchScript) {
  // What scripts/fetch-diabetes.sh writes: ten features, the target last,
  // in scikit-learn's spelling of numbers.
  writeBytes(path("diabetes.csv"),
             "59,2,32.1,101.0,157,93.2,38.0,4.0,4.8598,87,1.510000000000000000e+02\n"
             "48,1,21.6,87.0,183,103.2,70.0,3.0,3.8918,69,7.500000000000000000e+01\n");
  Result<Dataset> data = loadCsvDataset(path("diabetes.csv"));
  ASSERT_TRUE(data) << data.error();
  EXPECT_EQ(data->features, 10);
  EXPECT_EQ(data->targets, (std::vector<float>{151, 75}));
  EXPECT_FLOAT_EQ(data->x[18], 3.8918f);
}

} // namespace
