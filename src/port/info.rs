//! `atchat ports`: the serial ports of this machine, read from sysfs, with what identifies
//! a USB adapter or modem (vendor:product, serial number, manufacturer, product, the
//! interface number that tells a modem's AT port from its diagnostic ports) and the driver.
//!
//! Read here rather than through serialport's `available_ports`: atchat builds serialport
//! without libudev (so the binary needs no libudev at run time and builds without
//! libudev-dev), and the crate's sysfs fallback reads `/sys` at a fixed place (so a test
//! cannot give it a fake tree), panics where `/sys/class/tty` is missing, names no driver and
//! no interface number. The layout read is the kernel's, as documented in its
//! Documentation/ABI (sysfs-class-tty, sysfs-bus-usb) and read the same way by pyserial's
//! `list_ports_linux`:
//!
//! - `/sys/class/tty/NAME/device` links to the port's device; a tty without one (virtual
//!   consoles, `ptmx`, `tty`) is not a serial port, and ptys are not in `/sys/class/tty`.
//! - A USB serial converter (`ttyUSB*`, subsystem `usb-serial`) hangs below its USB
//!   interface; a CDC ACM modem's tty (`ttyACM*`, subsystem `usb`) is the interface itself.
//!   The interface's parent, the USB device, holds `idVendor`, `idProduct`, `serial`,
//!   `manufacturer` and `product`; the interface holds `bInterfaceNumber` and `interface`.
//! - Since Linux 6.5 a UART's tty links to a `serial-base` port device, two levels below
//!   the UART itself (pnp, platform, pci), whose driver is the one worth naming.
//! - The 8250 driver registers ports that no UART answers (`ttyS4`..`ttyS31` on most PCs);
//!   their tty's `type` attribute reads 0 (`PORT_UNKNOWN`), and they are left out.

use std::io::Read;
use std::path::{Path, PathBuf};

/// One serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortInfo {
    /// The device path: `/dev/` and the tty's name.
    pub device: String,
    /// The tty's name in sysfs: `ttyUSB0`.
    pub name: String,
    /// The bus of the device serving the port: `usb-serial`, `usb`, `pnp`, `platform`,
    /// `pci`...
    pub subsystem: String,
    /// The kernel driver serving the port: `ftdi_sio`, `cdc_acm`, `option1`, `serial`...
    pub driver: Option<String>,
    /// What the bus calls the device, outside USB: a PNP id (`PNP0501`).
    pub id: Option<String>,
    /// Only for a port on USB.
    pub usb: Option<UsbInfo>,
    /// Links to the device in `/dev/serial/by-id` (made by udev; stable across replugging).
    pub by_id: Vec<String>,
}

/// What a USB device says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsbInfo {
    pub vendor_id: u16,
    pub product_id: u16,
    pub serial: Option<String>,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    /// `bNumInterfaces` of the device's active configuration.
    pub interface_count: Option<u8>,
    /// `bInterfaceNumber`: which of a multi-port modem's ports this is.
    pub interface_number: Option<u8>,
    /// The interface's own name, when the device gives one.
    pub interface: Option<String>,
}

/// An attribute longer than this is not one of the short strings read here.
const MAX_ATTRIBUTE: u64 = 4096;
/// Bounds the walk from a tty's device up to the device with a driver.
const MAX_DEPTH: usize = 8;

/// The serial ports below `root` (`/` on a real system: `root/sys/class/tty` and
/// `root/dev/serial/by-id` are read), in natural order of their names (`ttyS2` before
/// `ttyS10`). Fails only when `root/sys/class/tty` cannot be read at all.
pub fn list(root: &Path) -> std::io::Result<Vec<PortInfo>> {
    let class = root.join("sys/class/tty");
    let entries = std::fs::read_dir(&class)
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot read `{}`: {e}", class.display())))?;
    let by_id = by_id_links(&root.join("dev/serial/by-id"));
    let mut ports: Vec<PortInfo> = entries
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().to_string_lossy().into_owned();
            let mut info = port(&class.join(&name), &name)?;
            info.by_id = by_id.iter().filter(|(_, target)| *target == name).map(|(link, _)| link.clone()).collect();
            Some(info)
        })
        .collect();
    ports.sort_by(|a, b| natural_key(&a.name).cmp(&natural_key(&b.name)));
    Ok(ports)
}

/// The port at `/sys/class/tty/NAME`, or `None` when it is no serial port.
fn port(tty: &Path, name: &str) -> Option<PortInfo> {
    let device = tty.join("device").canonicalize().ok()?;
    if attribute(tty, "type").is_some_and(|t| t == "0") {
        return None;
    }
    let (served_by, driver) = driver(&device)?;
    let subsystem = link_name(&served_by.join("subsystem"))?;
    let usb = match subsystem.as_str() {
        "usb-serial" => usb_info(served_by.parent()?),
        "usb" => usb_info(served_by),
        _ => None,
    };
    Some(PortInfo {
        device: format!("/dev/{name}"),
        name: name.to_string(),
        subsystem,
        driver,
        id: attribute(served_by, "id"),
        usb,
        by_id: Vec::new(),
    })
}

/// The device serving the port and its driver: `device` itself, or the nearest ancestor
/// with a driver; `serial-base`'s generic `port` and `ctrl` stand for the UART, further up.
/// A device with no driver at all (unbound) is named without one.
fn driver(device: &Path) -> Option<(&Path, Option<String>)> {
    let bound = device.ancestors().take(MAX_DEPTH).find_map(|dir| {
        let subsystem = link_name(&dir.join("subsystem"))?;
        if subsystem == "serial-base" {
            return None;
        }
        Some((dir, link_name(&dir.join("driver"))?))
    });
    match bound {
        Some((dir, driver)) => Some((dir, Some(driver))),
        None => link_name(&device.join("subsystem")).map(|_| (device, None)),
    }
}

fn usb_info(interface: &Path) -> Option<UsbInfo> {
    let device = interface.parent()?;
    let hex = |name: &str| u16::from_str_radix(&attribute(device, name)?, 16).ok();
    Some(UsbInfo {
        vendor_id: hex("idVendor")?,
        product_id: hex("idProduct")?,
        serial: attribute(device, "serial"),
        manufacturer: attribute(device, "manufacturer"),
        product: attribute(device, "product"),
        interface_count: attribute(device, "bNumInterfaces").and_then(|n| n.parse().ok()),
        interface_number: attribute(interface, "bInterfaceNumber").and_then(|n| u8::from_str_radix(&n, 16).ok()),
        interface: attribute(interface, "interface"),
    })
}

/// `/dev/serial/by-id` as (link path, name of the tty it points to).
fn by_id_links(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut links: Vec<(String, String)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let target = std::fs::read_link(entry.path()).ok()?;
            let tty = target.file_name()?.to_string_lossy().into_owned();
            Some((format!("/dev/serial/by-id/{}", entry.file_name().to_string_lossy()), tty))
        })
        .collect();
    links.sort();
    links
}

/// A sysfs attribute, trimmed; `None` when missing, empty or not a short text.
fn attribute(dir: &Path, name: &str) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(dir.join(name)).ok()?.take(MAX_ATTRIBUTE).read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// The last component of the path a symlink points to (`subsystem` → `usb-serial`).
fn link_name(link: &Path) -> Option<String> {
    let target: PathBuf = std::fs::read_link(link).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// `ttyUSB10` → ("ttyUSB", 10), so ports sort as people count.
fn natural_key(name: &str) -> (&str, u64, &str) {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    (stem, name[stem.len()..].parse().unwrap_or(0), name)
}

/// The listing `atchat ports` prints: one line per port, then its by-id links indented.
pub fn table(ports: &[PortInfo]) -> String {
    let rows: Vec<[String; 4]> = ports
        .iter()
        .map(|p| {
            let usb = p.usb.as_ref();
            [
                p.device.clone(),
                p.driver.clone().unwrap_or_else(|| "-".into()),
                usb.map_or_else(|| "-".into(), |u| format!("{:04x}:{:04x}", u.vendor_id, u.product_id)),
                describe(p),
            ]
        })
        .collect();
    let headers = ["DEVICE", "DRIVER", "USB ID", "DESCRIPTION"];
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([headers[i].len()]).max().unwrap_or(0);
    let widths = [width(0), width(1), width(2)];
    let line = |cells: [&str; 4]| {
        format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
        .trim_end()
        .to_string()
            + "\n"
    };
    let mut out = line(headers);
    for (port, row) in ports.iter().zip(&rows) {
        out += &line([&row[0], &row[1], &row[2], &row[3]]);
        for link in &port.by_id {
            out += &format!("  {link}\n");
        }
    }
    out
}

/// Manufacturer, product, interface (on a device with several) and serial number of a USB
/// port; the bus and the device's id on it otherwise.
fn describe(port: &PortInfo) -> String {
    let Some(usb) = &port.usb else {
        return match &port.id {
            Some(id) => format!("{} {id}", port.subsystem),
            None => port.subsystem.clone(),
        };
    };
    let mut parts: Vec<String> = Vec::new();
    let names: Vec<&str> = [&usb.manufacturer, &usb.product].into_iter().flatten().map(String::as_str).collect();
    if !names.is_empty() {
        parts.push(names.join(" "));
    }
    // A one-interface adapter's interface number says nothing.
    let number = usb.interface_number.filter(|_| usb.interface_count.map_or(true, |c| c > 1));
    match (number, &usb.interface) {
        (Some(n), Some(name)) => parts.push(format!("interface {n} ({name})")),
        (Some(n), None) => parts.push(format!("interface {n}")),
        (None, Some(name)) => parts.push(format!("interface {name}")),
        (None, None) => {}
    }
    if let Some(serial) = &usb.serial {
        parts.push(format!("serial {serial}"));
    }
    parts.join(", ")
}
