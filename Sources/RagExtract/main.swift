// `ragd-extract PATH [--memory-mb N] [--no-ocr] [--ocr-max-pages N]`: extracts one file and
// prints the result as JSON (see ExtractionChild). The small helper IsolatedExtractor can run
// instead of `ragd extract-file`: it links no server, store or model code, so it starts fast.
import Foundation
import RagExtraction

#if canImport(Glibc)
import Glibc
#endif

guard let request = ExtractionChild.Request.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data("usage: ragd-extract PATH [--memory-mb N] [--no-ocr] [--ocr-max-pages N]\n".utf8))
    exit(64)
}
exit(ExtractionChild.run(request))
