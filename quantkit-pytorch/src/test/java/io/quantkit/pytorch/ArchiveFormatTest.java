package io.quantkit.pytorch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.BaseEncoding;
import io.quantkit.backend.Signature;
import io.quantkit.ir.Graph;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TorchScript archive's bytes: pickle opcodes, zip layout, records. No PyTorch needed. */
class ArchiveFormatTest {

  /**
   * Expected bytes written opcode by opcode from the pickle protocol (Python's pickletools);
   * {@code pickle.loads} of them gives (1, 'a', True, None, 2.5, 300, -5, 70000, 1099511627776, []).
   */
  @Test
  void picklerWritesProtocolTwoOpcodes() {
    byte[] actual = new Pickler().mark().integer(1).string("a").bool(true).none().floating(2.5).integer(300).integer(-5)
        .integer(70000).integer(1L << 40).emptyList().tuple().finish();
    String expected = "8002" + "28" + "4b01" + "580100000061" + "88" + "4e" + "474004000000000000" + "4d2c01" + "4afbffffff"
        + "4a70110100" + "8a080000000000010000" + "5d" + "74" + "2e";
    assertEquals(expected, BaseEncoding.base16().lowerCase().encode(actual));
  }

  @Test
  void globalsAndReduce() {
    byte[] actual = new Pickler().global("collections", "OrderedDict").emptyTuple().reduce().finish();
    assertEquals("8002" + "63" + hex("collections\nOrderedDict\n") + "29" + "52" + "2e",
        BaseEncoding.base16().lowerCase().encode(actual));
  }

  @Test
  void recordsAreStoredUnderOneFolderWithDataOn64ByteBoundaries() throws IOException {
    byte[] zip = TorchScriptModel.toBytes(Graphs.mixed(1));
    List<String> names = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        names.add(e.getName());
        assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
      }
    }
    assertTrue(names.containsAll(List.of("archive/data.pkl", "archive/version", "archive/constants.pkl",
        "archive/code/__torch__/quantkit.py", "archive/extra/quantkit.json", "archive/data/0")), names.toString());
    assertTrue(names.stream().allMatch(n -> n.startsWith("archive/")), names.toString());
    // walk the local file headers (zip APPNOTE 4.3.7): data must start at a multiple of 64
    ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
    int pos = 0;
    int records = 0;
    while (b.getInt(pos) == 0x04034b50) {
      int compressed = b.getInt(pos + 18);
      int nameLength = b.getShort(pos + 26) & 0xffff;
      int extraLength = b.getShort(pos + 28) & 0xffff;
      int data = pos + 30 + nameLength + extraLength;
      String name = new String(zip, pos + 30, nameLength, StandardCharsets.UTF_8);
      assertEquals(0, data % 64, name + " data starts at " + data);
      pos = data + compressed;
      records++;
    }
    assertEquals(names.size(), records);
  }

  @Test
  void versionAndDeterminism() throws IOException {
    Graph g = Graphs.mixed(3);
    byte[] a = TorchScriptModel.toBytes(g);
    byte[] b = TorchScriptModel.toBytes(g);
    assertArrayEquals(a, b, "the same graph gives the same bytes");
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(a))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.getName().equals("archive/version")) {
          assertEquals("3\n", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }
      }
    }
  }

  @Test
  void signatureRoundTripsAndForeignFilesAreReadFromTheirCode(@TempDir Path dir) throws IOException {
    Graph g = Graphs.mixed(1);
    Path ours = dir.resolve("mixed.pt");
    TorchScriptModel.save(g, ours);
    assertTrue(TorchScriptFile.isTorchScript(ours));
    assertEquals(Signature.of(g), TorchScriptFile.signature(ours));

    // the same archive without quantkit's record: the contract comes from forward's parameters
    Path foreign = dir.resolve("foreign.pt");
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(ours));
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(foreign))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        if (!e.getName().endsWith("extra/quantkit.json")) {
          out.putNextEntry(new ZipEntry(e.getName()));
          out.write(in.readAllBytes());
          out.closeEntry();
        }
      }
    }
    Signature s = TorchScriptFile.signature(foreign);
    assertEquals("foreign", s.modelName());
    assertEquals("x", s.input().name());
    assertEquals(List.of("output_0"), s.outputs());
  }

  @Test
  void otherFilesAreNotTorchScript(@TempDir Path dir) throws IOException {
    Path text = Files.writeString(dir.resolve("a.pt"), "not a zip");
    Path emptyZip = dir.resolve("b.pt");
    try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(emptyZip))) {
      out.putNextEntry(new ZipEntry("x/readme.txt"));
      out.write(1);
    }
    assertFalse(TorchScriptFile.isTorchScript(text));
    assertFalse(TorchScriptFile.isTorchScript(emptyZip));
    assertFalse(TorchScriptFile.isTorchScript(dir));
    assertFalse(TorchScriptFile.isTorchScript(dir.resolve("missing.pt")));
  }

  private static String hex(String s) {
    return BaseEncoding.base16().lowerCase().encode(s.getBytes(StandardCharsets.US_ASCII));
  }
}
