// A C++ program for the GLIBCXX / CXXABI / GCC version-floor tests (tests/test_glibc.py builds it
// with `g++ -O1 -o prog main.cpp`): iostreams, std::string, exceptions and std::filesystem pull in
// versioned symbols from libstdc++.so.6, and unwinding from libgcc_s.so.1.
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

static int parse(const std::string &s) {
    if (s.empty())
        throw std::invalid_argument("empty");
    return std::stoi(s);
}

int main(int argc, char **argv) {
    std::vector<std::string> args(argv, argv + argc);
    int total = 0;
    for (const auto &a : args) {
        try {
            total += parse(a);
        } catch (const std::exception &e) {
            std::cerr << "skip " << a << ": " << e.what() << '\n';
        }
    }
    std::cout << std::filesystem::path(args[0]).filename().string() << " " << total << std::endl;
    return 0;
}
